"""Locust users for the casework pages: triage officers paging and filtering the queue, social workers reading
a child's 300-event chronology. Run by bench/casework_load.py (locust is not a project dependency)."""

from __future__ import annotations

import os
import random
import re

from locust import HttpUser, between, task

CHILD = os.environ.get("OPENMASH_BENCH_CHILD", "P0000000")
PASSWORD = "demo-password-1"  # noqa: S105 - the demo directory's
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class _SignedIn(HttpUser):
    abstract = True
    # People read what they open: 5 to 15 s before the next page (a chronology takes far longer to read).
    wait_time = between(5, 15)
    username = ""

    def on_start(self) -> None:
        page = self.client.get("/sign-in/", name="sign-in")
        token = TOKEN.search(page.text)
        with self.client.post("/sign-in/", {"username": self.username, "password": PASSWORD,
                                            "csrfmiddlewaretoken": token.group(1) if token else ""},
                              headers={"Referer": f"{self.host}/sign-in/"}, name="sign-in",
                              catch_response=True) as response:
            if "/sign-in/" in response.url:
                response.failure("not signed in")

    def page(self, url: str, name: str) -> None:
        with self.client.get(url, name=name, catch_response=True) as response:
            if "/sign-in/" in response.url:
                response.failure("sent back to sign in")


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
