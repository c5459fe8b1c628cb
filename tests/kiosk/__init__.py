import os

# before anything imports Kivy: a headless window, and Kivy leaves our command line alone
os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")  # the kiosk's sounds, with no sound card
os.environ.setdefault("KIVY_NO_ARGS", "1")
