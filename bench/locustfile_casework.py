"""Locust users for the casework pages: triage officers paging and filtering the queue, social workers reading
a child's 300-event chronology. Run by bench/casework_load.py (locust is not a project dependency).

The users are ``FastHttpUser``s (geventhttpclient): the load generator shares the machine with the server, and
this client costs a fraction of the CPU of the requests-based one per request. Redirects are not followed: a
page must answer 200 itself (a redirect to sign in, or anywhere, is a failure), and sign-in must redirect away
from the sign-in page.
"""

from __future__ import annotations

import os
import random
import re

from locust import FastHttpUser, between, task

CHILD = os.environ.get("OPENMASH_BENCH_CHILD", "P0000000")
PASSWORD = "demo-password-1"  # noqa: S105 - the demo directory's
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class _SignedIn(FastHttpUser):
    abstract = True
    # People read what they open: 5 to 15 s before the next page (a chronology takes far longer to read).
    wait_time = between(5, 15)
    username = ""

    def on_start(self) -> None:
        page = self.client.get("/sign-in/", name="sign-in")
        token = TOKEN.search(page.text or "")
        with self.client.post("/sign-in/", data={"username": self.username, "password": PASSWORD,
                                                 "csrfmiddlewaretoken": token.group(1) if token else ""},
                              headers={"Referer": f"{self.host}/sign-in/"}, name="sign-in", allow_redirects=False,
                              catch_response=True) as response:
            target = (response.headers or {}).get("Location", "")
            if response.status_code != 302 or "/sign-in/" in target:
                response.failure(f"not signed in ({response.status_code} {target})")

    def page(self, url: str, name: str) -> None:
        with self.client.get(url, name=name, allow_redirects=False, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} {(response.headers or {}).get('Location', '')}")


class TriageOfficer(_SignedIn):
    weight = 1
    username = "triage"

    @task(4)
    def queue(self) -> None:
        self.page("/triage/", "/triage/")

    @task(3)
    def queue_page(self) -> None:
        self.page(f"/triage/?page={random.randint(2, 200)}", "/triage/?page=N")

    @task(2)
    def queue_filtered(self) -> None:
        level = random.choice(["high", "medium", "standard"])
        age = random.choice(["under-5", "5-11", "12-17", ""])
        self.page(f"/triage/?level={level}&age={age}&area=LN{random.randint(1, 9)}", "/triage/?filters")


class SocialWorker(_SignedIn):
    weight = 1
    username = "social-worker"

    @task(3)
    def chronology(self) -> None:
        self.page(f"/people/{CHILD}/", "/people/<child>/")

    @task(1)
    def chronology_filtered(self) -> None:
        self.page(f"/people/{CHILD}/?agency=police&significant=on", "/people/<child>/?filters")
