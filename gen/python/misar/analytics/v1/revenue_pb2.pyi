from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class CurrencyAmount(_message.Message):
    __slots__ = ["amount", "currency"]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    amount: float
    currency: str
    def __init__(self, currency: _Optional[str] = ..., amount: _Optional[float] = ...) -> None: ...
