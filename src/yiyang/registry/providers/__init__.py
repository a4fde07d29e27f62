"""Service organisations (公建民营 operators)."""
