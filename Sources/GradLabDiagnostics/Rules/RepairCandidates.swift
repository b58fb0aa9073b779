import Foundation
import GradLab

/// The remedies the built-in rules' ladders are made of (see `Repair` for the evidence behind
/// their order and each rule's `candidates` for its ladder).
extension RepairCandidate {
    /// The initializer matched to the config's activation (nil when there is none).
    static func initFix(_ config: RunConfig) -> RepairCandidate? {
        let act = config.activation.rawValue
        return InitKind.matched(to: config.activation).map { i in
            RepairCandidate(name: "init \(i.rawValue) for \(act)", rationale: "an initialization matched to \(act) keeps each layer's gain near 1 (He et al. 2015; Schoenholz et al. 2017)") {
                $0.initializer = i; $0.sigmaB2 = i == .edgeOfChaos ? Swift.max($0.sigmaB2, 0.05) : $0.sigmaB2; $0.biasInit = nil
            }
        }
    }
    static let selu = RepairCandidate(name: "SELU + LeCun normal", rationale: "self-normalizing units keep activations and gradients at unit scale (Klambauer et al. 2017)") {
        $0.activation = .selu; $0.initializer = .lecunNormal; $0.biasInit = nil
    }
    static let relu = RepairCandidate(name: "ReLU + He normal", rationale: "ReLU passes the gradient unchanged where active and He init keeps its size (He et al. 2015)") {
        $0.activation = .relu; $0.initializer = .heNormal; $0.biasInit = nil
    }
    static let batchNorm = RepairCandidate(name: "batch normalization", rationale: "normalizing each layer's pre-activations resets the scale the gradient sees (Ioffe & Szegedy 2015)") {
        $0.normalization = .batch
    }
    static let residual = RepairCandidate(name: "residual blocks, branches scaled 1/√L", rationale: "identity shortcuts give the gradient a path with factor 1 around every block; scaled branches keep the forward signal bounded (He et al. 2016; Hanin & Rolnick 2018)") {
        $0.model = .resmlp; $0.branchScale = .invSqrtDepth; $0.depth = Swift.max(1, $0.depth / 2)
    }
    static let branchScale = RepairCandidate(name: "residual branches scaled 1/√L", rationale: "unscaled branches add their variance at every block, so the signal and the gradient grow with depth; scaling each branch by 1/√L keeps the sum bounded (Hanin & Rolnick 2018; De & Smith 2020)") {
        $0.branchScale = .invSqrtDepth
    }
    static let reluSlow = RepairCandidate(name: "ReLU + He normal, learning rate ÷10", rationale: "the activation swap, with smaller steps for a net whose gradients are no longer tiny") {
        $0.activation = .relu; $0.initializer = .heNormal; $0.biasInit = nil; $0.lr /= 10
    }
    static let lrDown = RepairCandidate(name: "learning rate ÷10", rationale: "smaller steps keep updates from overshooting") { $0.lr /= 10 }
    static let clipInRun = RepairCandidate(name: "clip-norm 1 + skip non-finite steps", rationale: "bounds every update and skips broken steps with learning-rate back-off, inside the running job (Pascanu et al. 2013; AMP's loss scaler)", inRun: true) {
        $0.clipNorm = 1; $0.clipValue = nil; $0.skipNonfinite = true
    }
    static let standardize = RepairCandidate(name: "standardize inputs", rationale: "zero-mean, unit-variance inputs keep first-layer pre-activations out of saturation and overflow") {
        $0.standardize = true
    }
    static let adam = RepairCandidate(name: "Adam, lr 1e-3", rationale: "per-parameter step sizes make progress when the gradient scale is wrong (the optimizer swap won most slow runs for AUTOTRAINER)") {
        $0.optimizer = .adam; $0.lr = 1e-3
    }
    static let lrUp = RepairCandidate(name: "learning rate ×10", rationale: "updates are too small to move the weights") { $0.lr *= 10 }
    static let lrDownFar = RepairCandidate(name: "learning rate ÷30", rationale: "a step well inside the stable range stops the bouncing") { $0.lr /= 30 }
    static let biggerBatch = RepairCandidate(name: "batch ×8 (at least 32)", rationale: "averaging more samples per step lowers the gradient noise that makes the loss bounce") {
        $0.batch = Swift.max(32, $0.batch * 8)
    }
    static let leaky = RepairCandidate(name: "leaky ReLU, zero bias", rationale: "a negative slope keeps dead units receiving gradient") {
        $0.activation = .leakyRelu; $0.biasInit = nil; $0.initializer = .heNormal
    }
    static let zeroBias = RepairCandidate(name: "zero bias, standardized inputs", rationale: "negative biases or shifted inputs switch ReLUs off for every sample") {
        $0.biasInit = nil; $0.standardize = true
    }
    /// The fallback of `initFix` where no initializer is matched to the activation.
    static let glorotUniform = RepairCandidate(name: "Glorot uniform", rationale: "random, fan-scaled weights break the symmetry") { $0.initializer = .glorotUniform }

    /// The ladder of every built-in rule in a recurrent config: for the exploding family norm
    /// clipping first (Pascanu et al. 2013), then a spectral radius below 1, then gating; for
    /// every other problem a gated cell first.
    static func recurrentLadder(_ config: RunConfig, exploding: Bool) -> [RepairCandidate] {
        // Chrono-style forget bias ln T (Tallec & Ollivier 2018): f ≈ 1 − 1/T keeps ∏f over
        // the sequence away from 0, so the gradient reaches the first steps from the start.
        let chrono = Foundation.log(Double(Swift.max(config.seqLen, 3)))
        let lstm = RepairCandidate(name: String(format: "LSTM, forget bias ln T = %.1f", chrono), rationale: "the cell state carries the gradient additively; a forget bias of ln T keeps it open over the whole sequence (Hochreiter & Schmidhuber 1997; Gers et al. 2000; Tallec & Ollivier 2018)") {
            $0.model = .lstm; $0.forgetBias = chrono; $0.recurrentInit = .torchDefault; $0.recurrentScale = nil
        }
        let lstmAdam = RepairCandidate(name: String(format: "LSTM, forget bias %.1f, Adam 3e-3", chrono), rationale: "gating plus per-parameter step sizes: the combination that learns long-range tasks fastest") {
            $0.model = .lstm; $0.forgetBias = chrono; $0.recurrentInit = .torchDefault; $0.recurrentScale = nil; $0.optimizer = .adam; $0.lr = 3e-3
        }
        let irnn = RepairCandidate(name: "IRNN (ReLU, identity recurrence)", rationale: "W_hh = I makes each step's Jacobian the identity on active units (Le et al. 2015)") {
            $0.model = .rnnRelu; $0.recurrentInit = .identity; $0.recurrentScale = 1; $0.inputStd = 0.001
        }
        let ortho = RepairCandidate(name: "orthogonal recurrence", rationale: "all eigenvalues of W_hh on the unit circle: no decay or growth from the weights") {
            $0.recurrentInit = .orthogonal; $0.recurrentScale = 1
        }
        let clip = RepairCandidate(name: "clip-norm 1", rationale: "norm clipping is the documented fix for recurrent explosions (Pascanu et al. 2013)", inRun: true) {
            $0.clipNorm = 1; $0.clipValue = nil
        }
        let shrink = RepairCandidate(name: "orthogonal recurrence, radius 0.95", rationale: "a spectral radius just below 1 stops growth through time") {
            $0.recurrentInit = .orthogonal; $0.recurrentScale = 0.95
        }
        let gru = RepairCandidate(name: "GRU", rationale: "the update gate interpolates h_t between h_{t−1} and a candidate, so the gradient has a path with factor near 1 at every step (Cho et al. 2014); it learned the adding task in the fewest steps here") {
            $0.model = .gru; $0.forgetBias = nil; $0.recurrentInit = .torchDefault; $0.recurrentScale = nil
        }
        // An LSTM with a badly set forget gate is fixed at the gate first; other cells swap to a
        // gated one.
        let gated = config.model == .lstm ? [lstm, gru] : [gru, lstm]
        return exploding ? [clip, shrink, lstm] : gated + [lstmAdam, ortho, irnn]
    }
}
