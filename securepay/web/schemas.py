"""Request bodies the API accepts, validated into typed values.

Amounts must be JSON strings ("49.95"): a JSON number would arrive as a binary float.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class PaymentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item: str = Field(min_length=1, max_length=255)
    amount: Decimal
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    crm_record_id: str | None = Field(default=None, min_length=1, max_length=255)
    language: str | None = Field(default=None, pattern=r"^[a-z]{2}(_[A-Z]{2})?$")
    mode: Literal["private", "assisted"] | None = None

    @field_validator("item")
    @classmethod
    def _printable(cls, value: str) -> str:
        if not value.isprintable() or not value.strip():
            raise ValueError("must be printable text, not blank")
        return value.strip()

    @field_validator("amount", mode="before")
    @classmethod
    def _amount_text(cls, value: object) -> Decimal:
        if not isinstance(value, str):
            raise ValueError('must be a decimal string such as "49.95"')
        try:
            amount = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError('must be a decimal string such as "49.95"') from None
        if not amount.is_finite() or amount <= 0:
            raise ValueError("must be greater than 0")
        if amount.as_tuple().exponent < -2:  # type: ignore[operator]
            raise ValueError("must have at most 2 decimal places")
        return amount
