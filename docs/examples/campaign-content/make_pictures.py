"""Draws the example brand's pictures (run once; the PNGs are committed): python make_pictures.py"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).parent
RED, CREAM, INK = "#c8102e", "#fff8e7", "#1a1a1a"


def logo() -> None:
    img = Image.new("RGBA", (480, 160), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((0, 0, 479, 159), radius=40, fill=RED)
    d.polygon([(60, 40), (120, 40), (90, 130)], fill="#f4c27a")  # a cone
    d.ellipse((52, 14, 128, 70), fill=CREAM)
    for x in range(170, 440, 64):  # stripes: the brand's lid
        d.rounded_rectangle((x, 50, x + 44, 110), radius=14, fill=CREAM)
    img.save(HERE / "logo.png")


def lid(name: str, face: str, mark: str) -> None:
    img = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.ellipse((10, 10, 390, 390), fill=RED)
    d.ellipse((50, 50, 350, 350), fill=face)
    d.regular_polygon((200, 200, 90), 5, fill=mark)
    img.save(HERE / f"{name}.png")


def cap() -> None:
    """The bonus wheel's prize: a red baseball cap with the brand's stripes on its front."""
    img = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.ellipse((170, 208, 390, 250), fill="#9e0c24")  # the peak, to the right
    d.chord((30, 90, 290, 350), 180, 360, fill=RED)  # the crown
    d.rectangle((30, 214, 290, 232), fill="#9e0c24")  # the band
    d.ellipse((148, 80, 172, 100), fill="#9e0c24")  # the button on top
    for x in (90, 140, 190):  # the brand's stripes
        d.rounded_rectangle((x, 150, x + 34, 200), radius=10, fill=CREAM)
    img.save(HERE / "cap.png")


def cone() -> None:
    img = Image.new("RGB", (640, 400), CREAM)
    d = ImageDraw.Draw(img)
    d.polygon([(260, 150), (380, 150), (320, 380)], fill="#d9a45b")
    for n, colour in enumerate(("#f7d5e0", "#fff1c9", "#8b5a3c")):
        d.ellipse((240 + n * 20, 40 + n * 30, 400 - n * 20, 170), fill=colour)
    img.save(HERE / "summer.jpg", quality=85)


if __name__ == "__main__":
    logo()
    lid("gold", "#f2c14e", "#8a6a12")
    lid("silver", "#d9dde3", "#6b7480")
    lid("music", "#6c3fd1", "#ffffff")
    cap()
    cone()
