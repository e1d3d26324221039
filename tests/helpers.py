"""Small helpers shared by the dashboard tests."""
import re
from html import unescape


def screen_text(app) -> str:
    """Everything on screen as plain text (the SVG export keeps the characters)."""
    return unescape(re.sub(r"<[^>]+>", "", app.export_screenshot())).replace("\xa0", " ")


def widget_text(app, selector: str) -> str:
    """What the widget matching ``selector`` renders, as text."""
    return str(app.query_one(selector).render())
