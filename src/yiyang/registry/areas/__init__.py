"""The district → street → community tree."""
