# Reference values of R survival's cox.zph for tests/test_survival.py (test_zph_*).
# Run from the repository root with R >= 4.2 and survival 3.5-3:  Rscript tests/reference/cox_zph_r.R
# The Telco model is the Cox model of the customer_retention notebook; its design matrix
# (crm_research.churn.design_matrix of telco_churn on the notebook's cox_covariates, plus tenure
# and churn, column names made syntactic) is written to /tmp/telco_cox_design.csv first by
#   python -c "import sys; sys.path.insert(0, 'tests'); import test_survival as t; t.write_telco_design()"
library(survival)
cat("survival", as.character(packageVersion("survival")), "\n")
out <- list()
add <- function(dataset, call, zp) {
  tb <- zp$table
  data.frame(dataset = dataset, call = call, term = rownames(tb), chisq = tb[, "chisq"],
             df = tb[, "df"], p = tb[, "p"], row.names = NULL)
}
fit <- coxph(Surv(futime, fustat) ~ age + ecog.ps, data = ovarian)
for (tr in c("km", "rank", "identity", "log")) {
  cl <- sprintf('cox.zph(coxph(Surv(futime, fustat) ~ age + ecog.ps, data = ovarian), transform = "%s", terms = FALSE)', tr)
  out[[length(out) + 1]] <- add("ovarian", cl, cox.zph(fit, transform = tr, terms = FALSE))
}
vet <- veteran
vet$celltype <- factor(vet$celltype)
vfit <- coxph(Surv(time, status) ~ trt + karno + age + celltype, data = vet)
for (tr in c("km", "identity")) {
  cl <- sprintf('cox.zph(coxph(Surv(time, status) ~ trt + karno + age + celltype, data = veteran), transform = "%s", terms = FALSE)', tr)
  out[[length(out) + 1]] <- add("veteran", cl, cox.zph(vfit, transform = tr, terms = FALSE))
}
cl <- 'cox.zph(coxph(Surv(time, status) ~ trt + karno + age + celltype, data = veteran), transform = "km", terms = TRUE)'
out[[length(out) + 1]] <- add("veteran_terms", cl, cox.zph(vfit, transform = "km", terms = TRUE))
# delayed entry: veteran observed from min(10, time / 2) days (R 3.5-3 fails with transform = "km" here)
vet$entry <- pmin(10, vet$time / 2)
efit <- coxph(Surv(entry, time, status) ~ trt + karno + age, data = vet)
cl <- 'cox.zph(coxph(Surv(pmin(10, time / 2), time, status) ~ trt + karno + age, data = veteran), transform = "identity", terms = FALSE)'
out[[length(out) + 1]] <- add("veteran_entry", cl, cox.zph(efit, transform = "identity", terms = FALSE))
coefs <- rbind(
  data.frame(dataset = "ovarian", term = names(coef(fit)), coef = unname(coef(fit))),
  data.frame(dataset = "veteran", term = names(coef(vfit)), coef = unname(coef(vfit))),
  data.frame(dataset = "veteran_entry", term = names(coef(efit)), coef = unname(coef(efit))))
res <- do.call(rbind, out)
options(digits = 17)
write.csv(format(res, digits = 17), "tests/reference/cox_zph_r.csv", row.names = FALSE)
write.csv(format(coefs, digits = 17), "tests/reference/cox_zph_r_coef.csv", row.names = FALSE)
write.csv(ovarian[, c("futime", "fustat", "age", "ecog.ps")], "tests/reference/ovarian.csv", row.names = FALSE)
write.csv(vet[, c("time", "status", "trt", "karno", "age", "celltype")], "tests/reference/veteran.csv", row.names = FALSE)
print(coef(fit)); print(coef(vfit)); print(coef(efit))
# Telco model of the customer_retention notebook
tel <- read.csv("/tmp/telco_cox_design.csv")
tfit <- coxph(Surv(tenure, churn) ~ ., data = tel, ties = "efron")
tz <- cox.zph(tfit, transform = "km", terms = FALSE)
print(tz)
write.csv(format(data.frame(call = 'cox.zph(coxph(Surv(tenure, churn) ~ ., data = design_matrix(telco, cox_covariates)), transform = "km", terms = FALSE)',
                             term = rownames(tz$table), chisq = tz$table[, "chisq"],
                             df = tz$table[, "df"], p = tz$table[, "p"]), digits = 17),
          "tests/reference/telco_zph_r.csv", row.names = FALSE)
