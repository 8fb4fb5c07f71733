"""The terminal side of the `clipportal` commands: check, encode, new, progress and problem
reports. The core never prints; these modules do."""
