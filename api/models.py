"""The API keeps no models of its own: its tokens are patrol.ApiToken (a credential of a User)."""
