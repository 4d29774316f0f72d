from parley.core.kernel.messages import Button, Reply
from parley.core.kernel.render import as_text, choice, split


def test_split_prefers_sentence_boundaries():
    text = "First sentence here. Second one is here too. Third."
    chunks = split(text, 30)
    assert chunks == ["First sentence here.", "Second one is here too. Third."]
    assert all(len(c) <= 30 for c in chunks)


def test_split_hard_cuts_an_unbroken_run_and_loses_nothing():
    text = "x" * 25
    chunks = split(text, 10)
    assert chunks == ["x" * 10, "x" * 10, "x" * 5]


def test_split_keeps_every_word_of_a_long_text():
    text = " ".join(f"word{n}." for n in range(2000))
    chunks = split(text, 4096)
    assert all(len(c) <= 4096 for c in chunks)
    assert " ".join(chunks).split() == text.split()


def test_buttons_degrade_to_numbered_choices_and_map_back():
    reply = Reply(text="Pick one", buttons=(Button(title="Yes", payload="/y"), Button(title="No", payload="/n")))
    assert as_text(reply, buttons=False) == "Pick one\n\n1. Yes\n2. No"
    assert as_text(reply, buttons=True) == "Pick one"
    assert choice("2", reply) == "/n"
    assert choice(" 1. ", reply) == "/y"
    assert choice("no", reply) == "/n"
    assert choice("3", reply) is None
    assert choice("maybe", reply) is None
