"""One campaign's key material at work: plaintext layout, tier plan and FF1 together."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from codes import crockford, keys, layout, tiers
from codes.campaign import Campaign
from codes.common.errors import InstoreError
from codes.ff1_radix32 import Radix32FF1

U64s = npt.NDArray[np.uint64]


class CampaignCipher:
    """Makes and reads the codes of one campaign under one key version.

    Reading needs the campaign key alone. Making codes, and checking that a code's tier is the
    one its serial was planned with, need the plan too: its seed (`Campaign.plan_seed`) is held
    by the issuer and the server, never by a store device.
    """

    def __init__(
        self, campaign: Campaign, campaign_key: bytes, plan_seed: bytes | None = None
    ) -> None:
        self.campaign = campaign
        self.key_version = campaign.key_version
        self._ff1 = Radix32FF1(campaign_key, campaign.id.encode("utf-8"), layout.BODY_SYMBOLS)
        # given the plan, the issuer's checks hold every code's tier to it; a device cannot
        self.holds_plan = plan_seed is not None
        if plan_seed is None and campaign.plan_version < 2:
            plan_seed = keys.derive_subkey(campaign_key, "tier shuffle", tiers.SEED_BYTES)
        self._plan = tiers.TierPlan(campaign.block_counts(), plan_seed) if plan_seed else None

    @classmethod
    def issuer(cls, campaign: Campaign) -> CampaignCipher:
        """The issuer's cipher: key and plan from the master key file the campaign names."""
        return cls(campaign, *campaign.issuer_keys())

    @property
    def plan(self) -> tiers.TierPlan:
        if self._plan is None:
            raise InstoreError(
                "no_plan",
                f"campaign {self.campaign.id}'s tier plan needs its master key; a store device"
                " reads codes but cannot make them",
            )
        return self._plan

    def encode(self, serial: int) -> str:
        """The printed text of one code (minting uses `encode_batch`)."""
        tier = self.plan.tier_of(serial)
        a, b = self._ff1.encrypt_int(*layout.pack(self.key_version, tier, serial))
        return layout.format_code(self.campaign.prefix, a, b)

    def encode_batch(
        self, serials: npt.NDArray[np.uint64]
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.uint8]]:
        """Tier indexes and printed texts (as a byte matrix) of many serials."""
        tier_idx = self.plan.tiers_of(serials)
        a, b = layout.pack_batch(self.key_version, tier_idx, serials)
        a, b = self._ff1.encrypt_batch(a, b)
        return tier_idx, layout.format_batch(self.campaign.prefix, a, b)

    def decode(self, body: str) -> tuple[int, int, int] | None:
        """(key version, tier, serial) of a body (16 symbols) that decrypts correctly, else None."""
        value = crockford.symbols_to_int(body)
        a, b = self._ff1.decrypt_int(value >> layout.HALF_BITS, value & layout.HALF_MASK)
        version, tier, serial, redundancy = layout.unpack(a, b)
        if redundancy != layout.REDUNDANCY or version != self.key_version:
            return None
        return version, tier, serial

    def decode_rows(self, chars: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.bool_], U64s, U64s]:
        """(decrypts correctly, tier index, serial) for many 16-symbol bodies at once, given as rows
        of symbol bytes (`crockford.normalise_rows`): one AES call per Feistel round for a whole
        push (the server's re-check)."""
        values = crockford.VALUE_BY_BYTE[chars]
        half = layout.BODY_SYMBOLS // 2  # each half of the body spells one 40-bit FF1 half
        a, b = np.zeros(len(chars), np.uint64), np.zeros(len(chars), np.uint64)
        for j in range(half):
            a = (a << np.uint64(5)) | values[:, j]
            b = (b << np.uint64(5)) | values[:, half + j]
        a, b = self._ff1.decrypt_batch(a, b)
        version, tier, serial, redundancy = layout.unpack_batch(a, b)
        ok = (redundancy == np.uint64(layout.REDUNDANCY)) & (version == np.uint64(self.key_version))
        ok &= tier < np.uint64(len(self.campaign.tiers))
        return ok, tier, serial
