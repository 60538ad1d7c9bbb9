-- Every insert, update or delete on orders, fills, positions, bankroll and engine_state leaves an
-- audit_log row. actor: the transaction-local setting `arbees.actor` (Store sets it for operator
-- actions), else 'engine'. entity: "<table>:<key columns joined by ':'>", key columns passed
-- as trigger arguments. detail: {"new": row, "old": row} as JSON (old only for UPDATE/DELETE).
-- Trigger docs: https://www.postgresql.org/docs/current/plpgsql-trigger.html

CREATE FUNCTION audit_row_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    row_json jsonb := to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END);
    key_parts text[] := '{}';
    column_name text;
BEGIN
    FOREACH column_name IN ARRAY TG_ARGV LOOP
        key_parts := key_parts || coalesce(row_json ->> column_name, '');
    END LOOP;
    INSERT INTO audit_log (actor, action, entity, detail)
    VALUES (
        coalesce(nullif(current_setting('arbees.actor', true), ''), 'engine'),
        TG_TABLE_NAME || '.' || lower(TG_OP),
        TG_TABLE_NAME || ':' || array_to_string(key_parts, ':'),
        CASE TG_OP
            WHEN 'INSERT' THEN jsonb_build_object('new', to_jsonb(NEW))
            WHEN 'DELETE' THEN jsonb_build_object('old', to_jsonb(OLD))
            ELSE jsonb_build_object('new', to_jsonb(NEW), 'old', to_jsonb(OLD))
        END
    );
    RETURN NULL;
END;
$$;

CREATE TRIGGER orders_audit AFTER INSERT OR UPDATE OR DELETE ON orders
    FOR EACH ROW EXECUTE FUNCTION audit_row_change('client_order_id');
CREATE TRIGGER fills_audit AFTER INSERT OR UPDATE OR DELETE ON fills
    FOR EACH ROW EXECUTE FUNCTION audit_row_change('fill_id');
CREATE TRIGGER positions_audit AFTER INSERT OR UPDATE OR DELETE ON positions
    FOR EACH ROW EXECUTE FUNCTION audit_row_change('market_id', 'side');
CREATE TRIGGER bankroll_audit AFTER INSERT OR UPDATE OR DELETE ON bankroll
    FOR EACH ROW EXECUTE FUNCTION audit_row_change('id');
CREATE TRIGGER engine_state_audit AFTER INSERT OR UPDATE OR DELETE ON engine_state
    FOR EACH ROW EXECUTE FUNCTION audit_row_change('instance');
