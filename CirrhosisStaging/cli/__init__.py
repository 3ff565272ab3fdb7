"""The `cirrhosis-staging` command line."""
