"""Draws the kiosk's default reward art (run once; the PNGs are committed): python make_art.py"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).parent
SIZE = 512


def coin(name: str, face: str, rim: str, shine: str) -> None:
    img = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.ellipse((16, 16, SIZE - 16, SIZE - 16), fill=rim)
    d.ellipse((48, 48, SIZE - 48, SIZE - 48), fill=face)
    d.ellipse((88, 88, SIZE - 88, SIZE - 88), outline=rim, width=10)
    d.polygon([(256, 150), (283, 222), (360, 222), (298, 266), (320, 340), (256, 296),
               (192, 340), (214, 266), (152, 222), (229, 222)], fill=rim)  # fmt: skip
    d.pieslice((60, 60, SIZE - 60, SIZE - 60), 200, 250, fill=shine)
    img.save(HERE / f"{name}.png")


def music() -> None:
    img = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((32, 32, SIZE - 32, SIZE - 32), radius=96, fill="#6C3FD1")
    d.rectangle((300, 120, 326, 340), fill="white")
    d.polygon([(300, 120), (400, 150), (400, 200), (326, 175)], fill="white")
    d.ellipse((200, 300, 330, 400), fill="white")
    img.save(HERE / "music.png")


def prize() -> None:
    img = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rectangle((96, 210, SIZE - 96, SIZE - 64), fill="#E0483E")
    d.rectangle((72, 150, SIZE - 72, 220), fill="#F2675D")
    d.rectangle((236, 150, 276, SIZE - 64), fill="#FFD34E")
    d.ellipse((170, 70, 256, 156), outline="#FFD34E", width=22)
    d.ellipse((256, 70, 342, 156), outline="#FFD34E", width=22)
    img.save(HERE / "prize.png")


def scan() -> None:
    """The attract screen's picture: a lid with its code, held up to a camera."""
    img = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.ellipse((40, 40, SIZE - 40, SIZE - 40), fill="#FFFFFF")
    d.ellipse((64, 64, SIZE - 64, SIZE - 64), fill="#FCE7D6")
    for i, x in enumerate(range(150, 370, 20)):  # a QR-like block
        for j, y in enumerate(range(150, 370, 20)):
            if (i * 7 + j * 3 + i * j) % 3 == 0 or i in (0, 10) or j in (0, 10):
                d.rectangle((x, y, x + 18, y + 18), fill="#1F2A44")
    for cx, cy in ((150, 150), (350, 150), (150, 350)):
        d.rectangle((cx - 28, cy - 28, cx + 28, cy + 28), outline="#1F2A44", width=12)
    img.save(HERE / "scan.png")


if __name__ == "__main__":
    coin("gold", "#F6C744", "#B8860B", "#FFF2B3")
    coin("silver", "#D9DDE3", "#8A939E", "#FFFFFF")
    music()
    prize()
    scan()
