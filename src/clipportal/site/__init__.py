"""The site layer: pages rendered from prepared clips, search, and the MkDocs adapter.
Nothing here runs ffmpeg; the core never imports this layer."""
