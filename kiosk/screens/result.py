"""The answer to a code: the reward with its art, or why not, and the ways on; for an instant
prize its voucher code, for a claim prize the QR a phone follows to the claim form."""

from __future__ import annotations

import numpy as np
from kivy.app import App
from kivy.graphics.texture import Texture
from kivy.properties import BooleanProperty, NumericProperty

from codes.qr import qr_image
from kiosk.flow import Flow
from kiosk.i18n import Text, render
from kiosk.screens.common import KButton, KioskScreen, say


def qr_texture(link: str) -> Texture:
    """The QR of `link` (with its quiet zone), one texel a module, drawn with sharp edges at any
    size."""
    grey = qr_image(link, module_px=1)[::-1]  # GL's rows run bottom to top
    rgba = np.dstack([grey, grey, grey, np.full_like(grey, 255)])
    height, width = grey.shape
    texture = Texture.create(size=(width, height), colorfmt="rgba")
    texture.mag_filter = texture.min_filter = "nearest"
    texture.blit_buffer(rgba.tobytes(), colorfmt="rgba", bufferfmt="ubyte")
    return texture


class ResultScreen(KioskScreen):
    voucher_length = NumericProperty(0)
    qr_shown = BooleanProperty(False)
    _qr_link = ""

    def refresh(self, flow: Flow) -> None:
        view, lang, ids = flow.result, flow.lang, self.ids
        if view is None:
            return
        theme = App.get_running_app().theme
        ids.art.source = flow.brand.prize_picture(view.campaign, view.tier) or view.art
        say(ids.title, render(view.title, lang), lang)
        ids.title.color = theme["win"] if view.won else theme["error"]
        prize = flow.brand.prize(view.campaign, view.tier, lang)  # the brand's words, if any
        say(ids.reward, prize[0] if prize else view.reward, lang)
        say(ids.description, prize[1] if prize else "", lang)
        self.voucher_length = len(view.voucher)
        say(ids.voucher, view.voucher, lang)
        say(ids.lines, "\n\n".join(render(line, lang) for line in view.lines), lang)
        if view.qr and view.qr != self._qr_link:  # made once a win, not at each redraw
            ids.qr.texture = qr_texture(view.qr)
        self._qr_link = view.qr
        self.qr_shown = bool(view.qr)
        # the same buttons, relabelled: a kiosk shows tens of thousands of results a day, and
        # widgets made afresh each time leave their textures to the garbage collector
        buttons = self._buttons(flow, len(view.actions))
        for number, (button, action) in enumerate(zip(buttons, view.actions, strict=True)):
            button.action, button.primary = action, number == 0
            say(button, render(Text.of(action), lang), lang)

    def _buttons(self, flow: Flow, count: int) -> list[KButton]:
        box = self.ids.actions
        while len(box.children) < count:
            button = KButton()
            button.bind(on_act=lambda b: flow.act(b.action))
            box.add_widget(button, index=0)  # below the others
        while len(box.children) > count:
            box.remove_widget(box.children[0])
        return list(reversed(box.children))
