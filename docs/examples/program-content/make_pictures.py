"""Draws the example program's pictures (run once; the PNGs are committed): python make_pictures.py"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).parent
TEAL, PAPER, INK = "#00606b", "#f2fbfb", "#10262a"


def ticket() -> None:
    img = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((20, 110, 380, 290), radius=24, fill=TEAL)
    for y in (110, 290):  # the notches of a tear-off ticket
        d.ellipse((260, y - 18, 296, y + 18), fill=(0, 0, 0, 0))
    d.line((278, 130, 278, 270), fill=PAPER, width=4)
    d.regular_polygon((150, 200, 50), 5, fill="#ffd166")
    img.save(HERE / "cinema-ticket.png")


def mug() -> None:
    img = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.ellipse((250, 150, 350, 270), outline=TEAL, width=22)
    d.rounded_rectangle((80, 100, 290, 330), radius=30, fill=TEAL)
    d.rectangle((110, 180, 260, 220), fill=PAPER)
    img.save(HERE / "mug.png")


def logo() -> None:
    img = Image.new("RGBA", (480, 160), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((0, 0, 479, 159), radius=40, fill=TEAL)
    for n in range(3):  # three partners, one program
        d.ellipse((60 + n * 70, 45, 130 + n * 70, 115), outline=PAPER, width=10)
    img.save(HERE / "logo.png")


if __name__ == "__main__":
    ticket()
    mug()
    logo()
