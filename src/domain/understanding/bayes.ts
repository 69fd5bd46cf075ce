/**
 * A multinomial naive Bayes classifier over sets of string features, trained
 * in one pass. Small and fast enough to train when a town's data is imported
 * and to score on every message (a few microseconds); features never seen in
 * training carry no weight either way.
 */
export class NaiveBayes<Label extends string> {
  private readonly logPrior = new Map<Label, number>();
  private readonly logLikelihood = new Map<Label, Map<string, number>>();
  private readonly logUnseen = new Map<Label, number>();
  private readonly vocabulary = new Set<string>();

  /**
   * @param documents labelled feature lists; a feature listed twice counts twice
   * @param smoothing additive (Lidstone) smoothing; smaller trusts rare features more
   */
  constructor(
    documents: readonly { label: Label; features: readonly string[] }[],
    readonly labels: readonly Label[],
    smoothing: number,
  ) {
    const counts = new Map<Label, Map<string, number>>(labels.map((label) => [label, new Map()]));
    const documentsPer = new Map<Label, number>(labels.map((label) => [label, 0]));
    for (const { label, features } of documents) {
      documentsPer.set(label, (documentsPer.get(label) ?? 0) + 1);
      const perLabel = counts.get(label)!;
      for (const feature of features) {
        perLabel.set(feature, (perLabel.get(feature) ?? 0) + 1);
        this.vocabulary.add(feature);
      }
    }
    for (const label of labels) {
      // Every label keeps a little prior mass, so one without examples can still win on strong evidence.
      this.logPrior.set(label, Math.log(((documentsPer.get(label) ?? 0) + 1) / (documents.length + labels.length)));
      const perLabel = counts.get(label)!;
      const total = [...perLabel.values()].reduce((sum, n) => sum + n, 0) + smoothing * this.vocabulary.size;
      this.logLikelihood.set(label, new Map([...perLabel].map(([feature, n]) => [feature, Math.log((n + smoothing) / total)])));
      this.logUnseen.set(label, Math.log(smoothing / total));
    }
  }

  /** Log-probability (unnormalised) of each label given the features. */
  scores(features: readonly string[]): Map<Label, number> {
    const out = new Map<Label, number>();
    for (const label of this.labels) {
      const likelihood = this.logLikelihood.get(label)!;
      const unseen = this.logUnseen.get(label)!;
      let score = this.logPrior.get(label)!;
      for (const feature of features) {
        if (this.vocabulary.has(feature)) score += likelihood.get(feature) ?? unseen;
      }
      out.set(label, score);
    }
    return out;
  }
}

/** Scores turned into probabilities that sum to one, most likely first. */
export function ranked<Label extends string>(scores: Map<Label, number>): { label: Label; probability: number }[] {
  const max = Math.max(...scores.values());
  const exp = [...scores].map(([label, score]) => ({ label, weight: Math.exp(score - max) }));
  const sum = exp.reduce((total, entry) => total + entry.weight, 0);
  return exp.map(({ label, weight }) => ({ label, probability: weight / sum })).sort((a, b) => b.probability - a.probability);
}
