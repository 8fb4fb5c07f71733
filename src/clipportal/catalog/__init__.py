"""The clip catalog: editors' clip files read, validated and turned into typed clips."""
