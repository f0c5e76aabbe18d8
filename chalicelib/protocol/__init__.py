"""The protocol between the camera, the viewer and the service, each rule decided once here.

Pure Python (the standard library only): no web framework, no AWS SDK, so the desktop tools
(`stopmotion`) sign, name and parse exactly as the service does without Chalice installed.
- keys: the object key layout of frames, its parsing, times, and selecting frames in a range;
- upload: the camera's signed POST (route, header set, string to sign, Authorization);
- viewer: the viewer's token on reads;
- claims: the counter claims and the rules that answer a signed upload (fresh, retry, replay...);
- secrets: where camera secrets and the viewer token live (SSM, the local file, config.h);
- answer: the service's signed answer to an upload, and which refusals are final for a camera;
- errors: what can go wrong, the HTTP status each means, and whether retrying is safe.
- card: the camera's queue of frames on its SD card (raw blocks), what `stopmotion card` reads.
"""
