"""The district's big screen: one picture kept per web process, cut per viewer, and the live
stream that moves it."""
