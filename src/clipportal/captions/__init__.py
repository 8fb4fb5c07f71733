"""Caption tracks: reading what editors bring (SRT, WebVTT, SBV in any Japanese encoding),
writing strict WebVTT, and the caption, chapter and storyboard tracks a clip page links."""
