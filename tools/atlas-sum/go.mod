module lake-orm/tools/atlas-sum

go 1.24

require ariga.io/atlas v0.32.1-0.20250325101103-175b25e1c1b9
