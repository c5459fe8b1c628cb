"""`instore pos --db FILE`: the cashier's console, for a till with a keyboard-wedge scanner.

A scanned (or typed) code on its own line goes into the current basket, and so does `scan CODE`;
`check CODE` only says what a code is. Commands do the rest; `help` lists them. After `pay` or
`cancel` a new basket starts.
"""

from __future__ import annotations

import cmd
import math
import shlex
from dataclasses import replace
from typing import IO

from pos_plugin.answers import Answer
from pos_plugin.checkout import Checkout, Till
from pos_plugin.scanner import RepeatFilter
from terminal import status_text


class CashierConsole(cmd.Cmd):
    intro = "instore till. Scan or type a code to add it to the basket; 'help' lists the commands."
    prompt = "till> "

    def __init__(self, till: Till, stdin: IO[str] | None = None, stdout: IO[str] | None = None):
        super().__init__(stdin=stdin, stdout=stdout)
        self.use_rawinput = stdin is None
        if stdin is not None:
            self.prompt = ""  # a script or a scanner feeding lines: answers only, one per line
        self.till = till
        self.repeats = RepeatFilter(till.settings.repeat_window_s)
        self.basket: Checkout = till.checkout()

    def _say(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def _show(self, answer: Answer) -> None:
        mark = "" if answer.ok else "!! "
        code = f"{answer.code}  " if answer.code else ""
        self._say(f"{mark}{code}{answer.message}")
        for warning in answer.warnings:
            self._say(f"   warning: {warning}")

    def get_names(self) -> list[str]:
        """The commands `help` lists: not EOF, which is Ctrl-D closing the till, not a word to
        type."""
        return [name for name in super().get_names() if name != "do_EOF"]

    def emptyline(self) -> bool:
        return False  # an empty line does nothing (cmd would repeat the last command)

    def default(self, line: str) -> None:
        """A line that is no command is a scanned code: into the basket."""
        code = self.repeats.accept(line)
        if code is not None:
            self._show(self.basket.apply(code))

    def do_scan(self, arg: str) -> None:
        """scan CODE: add a code to the basket, as the scanner does (typing the code alone does
        the same)."""
        self._show(self.basket.apply(arg) if arg.strip() else _usage("scan CODE"))

    def do_apply(self, arg: str) -> None:
        """apply CODE: add a code to the basket, the same as scan."""
        self._show(self.basket.apply(arg) if arg.strip() else _usage("apply CODE"))

    def do_check(self, arg: str) -> None:
        """check CODE: say what a code is without adding it to the basket or using it."""
        if not arg.strip():
            self._show(_usage("check CODE"))
            return
        answer = self.till.scan(arg)
        if answer.ok:  # a code that could be used: say it was not
            more = " Checked only: scan it, or type it alone, to add it to the basket."
            answer = replace(answer, message=answer.message + more)
        self._show(answer)

    def do_remove(self, arg: str) -> None:
        """remove CODE: take a code back out of the basket."""
        self._show(self.basket.remove(arg) if arg.strip() else _usage("remove CODE"))

    def do_basket(self, arg: str) -> None:
        """basket: the codes in this basket, and the member."""
        held = self.basket.held()
        self._say(f"{len(held)} code{'s' * (len(held) != 1)} in the basket")
        for _, code in held:
            self._say(f"   {code}")
        if self.basket.member_id:
            self._say(f"   member {self.basket.member_id}")

    def do_member(self, arg: str) -> None:
        """member CARD_OR_PHONE: name the shopper's loyalty member and show their points."""
        self._show(self.basket.member(arg) if arg.strip() else _usage("member CARD_OR_PHONE"))

    def do_pay(self, arg: str) -> None:
        """pay RECEIPT TOTAL [CATEGORY=AMOUNT ...]: the basket is paid; redeem its codes and earn
        the member's points. Name what the basket held of a product category that earns more
        (or less), e.g. pay R-1042 60 fuel=40."""
        words = arg.split()
        try:
            receipt, total = words[0], float(words[1].replace(",", "."))
            categories = _categories(words[2:])
        except (IndexError, ValueError):
            self._show(
                _usage("pay RECEIPT TOTAL [CATEGORY=AMOUNT ...], e.g. pay R-1042 23.50 fuel=20")
            )
            return
        answer = self.basket.pay(receipt, total, categories)
        self._show(answer)
        if answer.receipt:
            self._say(answer.receipt)
        if answer.ok:
            self.basket = self.till.checkout()

    def do_cancel(self, arg: str) -> None:
        """cancel: empty the basket; its codes are free again."""
        self._show(self.basket.cancel())
        self.basket = self.till.checkout()

    def do_refund(self, arg: str) -> None:
        """refund RECEIPT_OR_EVENT [REASON]: undo what a receipt redeemed and earned."""
        words = arg.split(maxsplit=1)
        if not words:
            self._show(_usage("refund RECEIPT_OR_EVENT [REASON]"))
            return
        answer = self.basket.refund(words[0], words[1] if len(words) > 1 else "")
        self._show(answer)
        for item in answer.items:
            self._say(f"   {item.receipt_line or item.message}")

    def do_spend(self, arg: str) -> None:
        """spend POINTS ITEM: exchange the member's points for an item. A large spend texts the
        member a code first: type it with 'code'."""
        try:
            words = shlex.split(arg)
            points, item = int(words[0]), " ".join(words[1:])
        except (IndexError, ValueError):
            self._show(_usage("spend POINTS ITEM, e.g. spend 200 mug"))
            return
        self._show(self.basket.spend(points, item) if item else _usage("spend POINTS ITEM"))

    def do_code(self, arg: str) -> None:
        """code DIGITS: the code the member read out from their phone, for the spend or the
        registration waiting on it (a wrong one may be typed again)."""
        self._show(
            self.basket.code(arg) if arg.strip() else _usage("code DIGITS, e.g. code 123456")
        )

    def do_resend(self, arg: str) -> None:
        """resend: text the member another code (no sooner than a minute after the last)."""
        self._show(self.basket.resend())

    def do_join(self, arg: str) -> None:
        """join PHONE: register the shopper as a member; a new phone gets a code to type in
        with 'code'. A phone that is a member already is simply found."""
        self._show(self.basket.join(arg) if arg.strip() else _usage("join PHONE"))

    def do_status(self, arg: str) -> None:
        """status: is this till in sync with the server; what is pending or conflicted."""
        for line in status_text.lines(self.till.status()):
            self._say(line)

    def do_quit(self, arg: str) -> bool:
        """quit: close the till (a basket not paid keeps its codes held until they expire)."""
        return True

    do_EOF = do_quit


def _categories(words: list[str]) -> dict[str, float] | None:
    """fuel=40 snacks=5,50 -> {"fuel": 40.0, "snacks": 5.5}; a name given twice adds up."""
    basket: dict[str, float] = {}
    for word in words:
        name, sep, amount = word.partition("=")
        value = float(amount.replace(",", "."))  # ValueError: the usage line
        if not sep or not name or not math.isfinite(value) or value < 0:
            raise ValueError(word)
        basket[name] = basket.get(name, 0.0) + value
    return basket or None


def _usage(text: str) -> Answer:
    return Answer("bad_input", f"Usage: {text}")
