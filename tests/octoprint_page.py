"""OctoPrint's page as a person uses it, for the browser tests: log in, open the AI Agent tab."""

from __future__ import annotations

# OctoPrint lays out its tab bar once it has started up (octoprint/static/js/app/main.js calls
# bootstrap-tabdrop): the tabs that do not fit on the bar's first line move into a ☰ dropdown,
# an `li.tabdrop` that tabdrop puts first in `#tabs` whether or not anything overflows. The bar
# is 620 px wide at any window width (the page keeps a fixed layout), so what moves a tab there
# is the font and how many tabs the installed plugins add.
OVERFLOW_MENU = "#tabs > li.tabdrop"
TAB_ENTRY = "#tab_plugin_aiagent_link"


def log_in(page, server, user: str) -> None:
    """Through OctoPrint's login form, which the page shows to a visitor without a session."""
    page.goto(server.url + "/")
    page.fill("#login-user", user)
    page.fill("#login-password", server.passwords[user])
    page.click("#login-button")


def open_aiagent_tab(page, timeout: float = 60_000) -> None:
    """Click "AI Agent" where OctoPrint put it: in the tab bar, or in the ☰ overflow menu after
    opening that menu."""
    # The dropdown appears in the same script step that moves the tabs, so once it is there the
    # tabs stay where they are (tabdrop moves them again only when the window is resized).
    page.wait_for_selector(OVERFLOW_MENU, state="attached", timeout=timeout)
    if page.locator(f"{OVERFLOW_MENU} {TAB_ENTRY}").count():
        page.click(f"{OVERFLOW_MENU} > a.dropdown-toggle")
    page.click(f"{TAB_ENTRY} a")
    page.locator("#tab_plugin_aiagent").wait_for(state="visible")
