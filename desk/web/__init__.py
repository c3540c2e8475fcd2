"""The agent console and its JSON API, mounted by the gateway at /desk.

app.py builds the sub-application; auth.py signs staff in and guards every route (session
cookie, CSRF, roles); pages.py serves the console, api.py the JSON API (described at
/desk/api/openapi.json), events.py the live updates, reports_page.py the charts.
"""

from desk.web.app import create_desk_app

__all__ = ["create_desk_app"]
