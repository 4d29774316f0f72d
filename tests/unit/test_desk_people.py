"""Who the customer is, read from what they wrote, in every shipped language."""

from __future__ import annotations

import pytest
from parley.core.handoff.people import Contact, found_in, name_in, parse_contact


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("ana@hotel.example, Ana Ruiz from Hotel Sol", Contact("Ana Ruiz", "Hotel Sol", "ana@hotel.example")),
        ("Ana Ruiz, Hotel Sol, +34 600 123 456", Contact("Ana Ruiz", "Hotel Sol", "", "+34 600 123 456")),
        ("soy Ana Ruiz de Hotel Sol, ana@sol.es", Contact("Ana Ruiz", "Hotel Sol", "ana@sol.es")),
        (
            "Je suis Élodie Durand chez Hôtel Soleil, elodie@soleil.fr",
            Contact("Élodie Durand", "Hôtel Soleil", "elodie@soleil.fr"),
        ),
        (
            "Ich bin Jonas Weber von Hotel Sonne, jonas@sonne.de",
            Contact("Jonas Weber", "Hotel Sonne", "jonas@sonne.de"),
        ),
        (
            "Sou Ana Souza da Pousada Sol, +55 11 91234 5678",
            Contact("Ana Souza", "Pousada Sol", "", "+55 11 91234 5678"),
        ),
        ("ホテルソルの田中です tanaka@sol.jp", Contact("田中", "ホテルソル", "tanaka@sol.jp")),
        ("أنا سارة من فندق الشمس sara@sun.ae", Contact("سارة", "فندق الشمس", "sara@sun.ae")),
        ("我是太阳酒店的李明 li@sun.cn", Contact("李明", "太阳酒店", "li@sun.cn")),
        ("ana@hotel.example", Contact(email="ana@hotel.example")),
    ],
)
def test_a_free_contact_answer_is_read_into_its_parts(answer, expected):
    assert parse_contact(answer) == expected


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Hello, my name is Jana Novak and my order is late", "Jana Novak"),
        ("Hi, I'm frustrated with this", ""),  # not capitalised: not a name
        ("me llamo Lucía Pérez", "Lucía Pérez"),
        ("je m'appelle Élodie Durand et...", "Élodie Durand"),
        ("Mein Name ist Jonas Weber.", "Jonas Weber"),
        ("meu nome é João Silva", "João Silva"),
        ("私は田中です", "田中"),
        ("اسمي سارة", "سارة"),
        ("我叫李明", "李明"),
        ("where is my parcel?", ""),
    ],
)
def test_a_name_given_in_passing(text, name):
    assert name_in(text) == name


def test_the_latest_name_email_and_phone_win():
    found = found_in(
        ["I'm Jana", "my name is Jana Novak", "mail jana@old.example", "jana@new.example or +420 601 234 567"]
    )
    assert found == Contact(name="Jana Novak", email="jana@new.example", phone="+420 601 234 567")
    assert found.reach == "jana@new.example · +420 601 234 567"
