"""The drift check shared by the fakes' contract tests: same keys, same JSON types.

:func:`shape_errors` compares a response with a documented reference body: every key of the
reference must be present with the same JSON type, recursively; ``null`` in the reference
accepts anything, and ``null`` in the response is accepted for the keys named ``nullable``.
Every element of a response array is checked against the reference array's first element; an
empty response array where the reference has elements is an error (the check would prove
nothing) unless ``require_examples`` is false.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def shape_errors(
    actual: Any,
    reference: Any,
    path: str = "$",
    *,
    nullable: Collection[str] = (),
    require_examples: bool = True,
) -> list[str]:
    """Where ``actual`` lacks a key of ``reference`` or has another JSON type; empty if it conforms."""
    if reference is None:
        return []
    key = path.rsplit(".", 1)[-1]
    if actual is None:
        return [] if key in nullable else [f"{path}: null, expected {type_name(reference)}"]
    expected, found = type_name(reference), type_name(actual)
    if expected == "number" and found == "integer":
        found = "number"
    if expected != found:
        return [f"{path}: {found}, expected {expected}"]
    errors: list[str] = []
    if isinstance(reference, dict):
        for name, value in reference.items():
            if name not in actual:
                errors.append(f"{path}.{name}: missing")
            else:
                errors.extend(
                    shape_errors(
                        actual[name],
                        value,
                        f"{path}.{name}",
                        nullable=nullable,
                        require_examples=require_examples,
                    )
                )
    elif isinstance(reference, list) and reference:
        if not actual and require_examples:
            errors.append(f"{path}: empty, the reference has elements")
        for index, item in enumerate(actual):
            errors.extend(
                shape_errors(
                    item,
                    reference[0],
                    f"{path}[{index}]",
                    nullable=nullable,
                    require_examples=require_examples,
                )
            )
    return errors
