"""One module per main-screen panel (dolphie style); each builds a widget and refreshes it from DeskState."""
