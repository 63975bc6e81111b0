"""exstrat: a self-hostable crypto portfolio tracker with take-profit ladders."""
