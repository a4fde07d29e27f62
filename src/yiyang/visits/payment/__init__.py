"""Paying for visits: payability, the exceptions queue and monthly settlement runs."""
