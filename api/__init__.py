"""HTTP layer: parse, authorise, call one service function, map to a schema."""
