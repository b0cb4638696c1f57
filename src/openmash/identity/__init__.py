"""Identity: the master person index. Links every person named in any record to one person (``person_id``)
in real time, with the evidence, refusing dangerous merges (different NHS numbers, two ids from one agency,
people named together, twins); trains its match model with Splink; knows who lived where and with whom.
Only this app imports Splink (``training``)."""
