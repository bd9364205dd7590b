"""Product analytics (PostHog, Amplitude, Mixpanel) read as daily metric points."""
