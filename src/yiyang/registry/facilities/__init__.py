"""Places services come from: platform, street centres, day-care centres, meal points."""
