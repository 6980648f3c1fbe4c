"""The dashboard's client side of a run, without Textual: where events come from (the
engine in this process, another process's log, a finished log), what they fold into,
and the texts and figures the widgets show."""
