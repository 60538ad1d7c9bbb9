"""Redis bus between engine and desk (ARCHITECTURE.md, "The bus contract").

`messages` holds every wire model and is the only engine module the desk needs besides `client`,
`signing` (the command signature encoding) and `operators` (operator keys and the
authorized-operators file).
"""
