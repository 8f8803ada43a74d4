"""The blood: shedding of perivascular tumour cells, the circadian clock that sets its rate,
the circulating CTC units and their fates, and the analyses of shed units."""
