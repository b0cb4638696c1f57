"""openmash link — the person index: train, rebuild, rekey, explain, undo, review."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from openmash.platform.audit import Actor


class Command(BaseCommand):
    help = "Person linking: train the model, rebuild every link, explain a link, undo a merge, review uncertain matches."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        train = sub.add_parser("train", help="Estimate m/u, prior and name frequencies with Splink from stored mentions.")
        train.add_argument("--version", help="Name of the new model version (default: trained-<timestamp>).")
        train.add_argument("--max-pairs", type=float, default=2e6, help="Random pairs for u estimation.")
        rebuild = sub.add_parser("rebuild", help="Relink every stored person-in-record from scratch (ids kept where possible).")
        rebuild.add_argument("--engine", choices=["memory", "splink", "spark"], default="memory",
                             help="memory: replay the real-time linker record by record; splink: link everything at "
                                  "once, Splink (DuckDB) scoring the real-time candidate pairs, same guards; spark: "
                                  "the same on Splink's Spark backend (local mode; needs pyspark and Java 17).")
        sub.add_parser("rekey", help="Rebuild the blocking index from the links, under the index secret in force "
                                     "(OPENMASH_INDEX_KEY, else SECRET_KEY): after either changed.")
        explain = sub.add_parser("explain", help="Why a person-in-record joined its person.")
        explain.add_argument("mention", metavar="AGENCY:RECORD_ID:REF")
        undo = sub.add_parser("undo", help="Undo a merge, or a person-in-record's move to another person after its record "
                                           "changed (default: the latest not yet undone).")
        undo.add_argument("event", nargs="?", type=int)
        review = sub.add_parser("review", help="List open uncertain matches, or decide one.")
        review.add_argument("review_id", nargs="?", type=int)
        decision = review.add_mutually_exclusive_group()
        decision.add_argument("--same", action="store_true", help="The two are the same person: merge them.")
        decision.add_argument("--different", action="store_true", help="The two are different people.")
        parser.add_argument("--actor", default="cli", help="Who is acting (for the audit trail).")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _train(self, options: dict[str, Any]) -> None:
        from openmash.identity import rebuild

        row = rebuild.train_and_save(version=options.get("version"), max_pairs=options["max_pairs"],
                                     actor=Actor(options["actor"]), progress=self.stderr.isatty())
        trained = row.params.get("trained_on", {})
        self.stdout.write(f"model {row.version} trained on {trained.get('mentions', 0)} mentions; now active")

    def _rebuild(self, options: dict[str, Any]) -> None:
        from openmash.identity import rebuild

        summary = rebuild.rebuild_links(actor=Actor(options["actor"]), engine=options["engine"],
                                        progress=self.stderr.isatty())
        self.stdout.write(json.dumps(summary))

    def _rekey(self, options: dict[str, Any]) -> None:
        from openmash.identity import rebuild

        written = rebuild.rekey(actor=Actor(options["actor"]))
        self.stdout.write(f"blocking index rebuilt: {written} key rows")

    def _explain(self, options: dict[str, Any]) -> None:
        from openmash.identity.queries import explain

        parts = options["mention"].split(":")
        if len(parts) < 3:
            raise CommandError("give the person-in-record as AGENCY:RECORD_ID:REF")
        agency, ref, record_id = parts[0], parts[-1], ":".join(parts[1:-1])
        found = explain(agency, record_id, ref)
        if found is None:
            raise CommandError(f"{options['mention']} is not a linked person-in-record")
        self.stdout.write(f"{found.mention} is person {found.person_id}")
        self.stdout.write(f"  linked by: {found.method} (probability {found.probability:.4f}, model {found.model_version or '-'})")
        details = found.details
        if details.get("matched"):
            self.stdout.write(f"  best match: {details['matched'].replace('/', ':')} (evidence {details.get('weight')} bits)")
        for field in details.get("fields", []):
            self.stdout.write(f"    {field['field']:<10} {field['level']:<20} {field['weight']:+.2f}")
        if details.get("note"):
            self.stdout.write(f"  {details['note']}")
        for merge in found.merges:
            self.stdout.write(f"  {merge['kind']} #{merge['event']} at {merge['at']} by {merge['actor']}: "
                              f"{merge['absorbed']} into {merge['keep']}")
        if found.open_reviews:
            self.stdout.write(f"  {found.open_reviews} open review(s) about this match")

    def _undo(self, options: dict[str, Any]) -> None:
        from openmash.identity.services import NothingToUndoError, undo_merge

        try:
            split = undo_merge(event_id=options.get("event"), actor=Actor(options["actor"]))
        except NothingToUndoError as exc:
            raise CommandError(str(exc)) from exc
        what = "merge" if split.kind == "split" else "relink"
        self.stdout.write(f"undid {what} #{split.undoes_id}: {len(split.mentions)} mention(s) returned")

    def _review(self, options: dict[str, Any]) -> None:
        from openmash.identity.models import MatchReview
        from openmash.identity.services import decide_review

        if options.get("review_id") is None:
            for review in MatchReview.objects.filter(status=MatchReview.Status.OPEN).select_related(
                "mention__record", "person", "candidate"
            ).order_by("created_at"):
                m = review.mention
                self.stdout.write(f"#{review.pk} {m.record.agency}:{m.record.record_id}:{m.ref} is {review.person} "
                                  f"~ {review.candidate} (p={review.probability:.3f})")
            return
        if not (options["same"] or options["different"]):
            raise CommandError("decide with --same or --different")
        try:
            review = decide_review(review_id=options["review_id"], same_person=options["same"],
                                   actor=Actor(options["actor"]))
        except (MatchReview.DoesNotExist, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"review #{review.pk}: {review.status}")
