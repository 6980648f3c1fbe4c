// Deliberately unfinished: the build gate must catch it.
int broken( {
