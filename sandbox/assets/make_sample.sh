#!/bin/sh
# Makes sample.mp4: 6 s of 320x180 test pattern at 15 fps, H.264 baseline + AAC, moov first (faststart),
# so Chromium can play it progressively. The sandbox appends a `free` box to reach larger sizes.
# Run from this directory:  sh make_sample.sh   (needs ffmpeg: apt-get install -y ffmpeg)
set -e
ffmpeg -y -hide_banner -loglevel error \
  -f lavfi -i "testsrc2=size=320x180:rate=15:duration=6" \
  -f lavfi -i "sine=frequency=400:sample_rate=44100:duration=6" \
  -c:v libx264 -profile:v baseline -level 3.0 -pix_fmt yuv420p -preset veryslow -crf 36 -g 30 \
  -c:a aac -b:a 32k -ac 1 \
  -movflags +faststart -map_metadata -1 -fflags +bitexact -flags:v +bitexact -flags:a +bitexact \
  sample.mp4
