"""Media jobs: running ffmpeg, probing, the content-addressed cache and the typed manifest
that describes one clip's encoded files. The only layer that runs ffmpeg."""
