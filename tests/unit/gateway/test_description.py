"""Item names become safe order descriptions."""

from securepay.gateway.description import DESCRIPTION_MAX_BYTES, clean_description


def test_control_characters_are_removed() -> None:
    assert clean_description("Blue\x00 wid\x07get\x7f") == "Blue widget"


def test_newlines_and_tabs_collapse_to_single_spaces() -> None:
    assert clean_description("  Blue\n\twidget\r\n  large\u2028") == "Blue widget large"


def test_bidi_overrides_are_removed() -> None:
    assert clean_description("abc\u202edef\u2066") == "abcdef"


def test_short_text_is_kept_whole() -> None:
    assert clean_description("Café crème") == "Café crème"


def test_long_ascii_text_is_cut_to_255() -> None:
    assert clean_description("x" * 300) == "x" * DESCRIPTION_MAX_BYTES


def test_multibyte_text_is_never_cut_inside_a_character() -> None:
    cleaned = clean_description("é" * 200)
    encoded = cleaned.encode("utf-8")
    assert len(encoded) <= DESCRIPTION_MAX_BYTES
    assert encoded.decode("utf-8") == "é" * 127


def test_four_byte_characters_fit_within_the_byte_limit() -> None:
    cleaned = clean_description("a" + "\U0001f600" * 100)
    assert len(cleaned.encode("utf-8")) <= DESCRIPTION_MAX_BYTES
    assert cleaned == "a" + "\U0001f600" * 63


def test_a_base_character_keeps_its_combining_marks_or_goes() -> None:
    text = "a" * 253 + "x\u0331\u0332"  # no precomposed form: stays 3 code points
    cleaned = clean_description(text)
    assert cleaned == "a" * 253


def test_an_emoji_sequence_is_not_left_dangling_on_a_joiner() -> None:
    text = "a" * 250 + "\U0001f468\u200d\U0001f469"
    assert clean_description(text) == "a" * 250


def test_a_flag_is_not_split_in_half() -> None:
    first_flag, second_flag = "\U0001f1fa\U0001f1f8", "\U0001f1ec\U0001f1e7"
    text = "a" * 240 + first_flag + second_flag
    assert clean_description(text) == "a" * 240 + first_flag


def test_trailing_space_left_by_the_cut_is_stripped() -> None:
    assert clean_description("x" * 254 + " yy") == "x" * 254
