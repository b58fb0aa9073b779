import Foundation
import XCTest
import GradLab

/// Normalization, residual blocks, adaptive clipping and the non-finite guard.
final class RemedyTests: XCTestCase {
    // Shared small case; the expected values below come from PyTorch (float64):
    //   import torch, torch.nn.functional as F
    //   x = torch.tensor([[1., 2., 3., 4.], [-1., 0., 2., 7.], [.5, .5, .5, 1.5]], dtype=torch.float64)
    //   w = torch.tensor([1., 2., .5, -1.], dtype=torch.float64); b = torch.tensor([0., .1, -.2, .3], dtype=torch.float64)
    //   F.layer_norm(x, (4,), w, b, eps=1e-5)
    //   rm, rv = torch.zeros(4, dtype=torch.float64), torch.ones(4, dtype=torch.float64)
    //   F.batch_norm(x, rm, rv, w, b, training=True, momentum=0.1, eps=1e-5); rm, rv
    //   F.batch_norm(x, rm, rv, w, b, training=False, eps=1e-5)
    let x = Tensor<Double>([[1, 2, 3, 4], [-1, 0, 2, 7], [0.5, 0.5, 0.5, 1.5]])
    let gamma = Tensor<Double>([1, 2, 0.5, -1]), beta = Tensor<Double>([0, 0.1, -0.2, 0.3])

    // MARK: Normalization

    func testLayerNormGradients() {
        let x = randomTensor([4, 5], seed: 101), g = randomTensor([5], seed: 102), b = randomTensor([5], seed: 103)
        assertGradients([x, g, b]) { $0[0].layerNorm(weight: $0[1], bias: $0[2]) }
        // Any leading axes: statistics stay per row of the last axis.
        let x3 = randomTensor([2, 3, 5], seed: 104)
        assertGradients([x3, g, b]) { $0[0].layerNorm(weight: $0[1], bias: $0[2]) }
    }

    func testBatchNormGradients() {
        let x = randomTensor([6, 3], seed: 111), g = randomTensor([3], seed: 112), b = randomTensor([3], seed: 113)
        assertGradients([x, g, b]) { $0[0].batchNorm(weight: $0[1], bias: $0[2]).output }
        // Evaluation mode: fixed statistics.
        let m = randomTensor([3], seed: 114), v = randomTensor([3], seed: 115, low: 0.5, high: 2)
        assertGradients([x, g, b]) { $0[0].batchNorm(weight: $0[1], bias: $0[2], mean: m, variance: v) }
    }

    func testNormalizationLayerParameterGradients() throws {
        let ln = try LayerNorm<Double>(4), bn = try BatchNorm<Double>(4)
        for layer in [ln, bn] as [any Layer<Double>] {
            layer.parameter(named: "weight")!.value = gamma
            layer.parameter(named: "bias")!.value = beta
            assertParameterGradients(layer, input: randomTensor([5, 4], seed: 121))
            assertGradients([randomTensor([5, 4], seed: 122)]) { layer($0[0]) }   // training-mode tape
        }
    }

    func testLayerNormReferenceValues() throws {
        let expected = Tensor<Double>([
            [-1.3416354199689269, -0.794423613312618, 0.023605903328154487, -1.0416354199689268],
            [-0.9733280145068077, -1.1977706860090769, -0.2, -1.3222133575113462],
            [-0.5773348737982603, -1.0546697475965205, -0.48866743689913017, -1.4320046213947808]])
        let ln = try LayerNorm<Double>(4)
        ln.weight.value = gamma; ln.bias.value = beta
        assertClose(ln(Tape<Double>().constant(x)).value, expected, tolerance: 1e-12)
        // Same in evaluation mode, and independently from plain loops.
        assertClose(ln(Tape<Double>(recording: false, training: false).constant(x)).value, expected, tolerance: 1e-12)
        var loops = x
        for r in 0..<3 {
            let row = (0..<4).map { x[r, $0] }
            let mu = row.reduce(0, +) / 4, v = row.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / 4
            for j in 0..<4 { loops[r, j] = gamma[j] * (row[j] - mu) / (v + 1e-5).squareRoot() + beta[j] }
        }
        assertClose(loops, expected, tolerance: 1e-12)
        // The Float path agrees with Double.
        let lnF = try LayerNorm<Float>(4)
        lnF.weight.value = gamma.converted(); lnF.bias.value = beta.converted()
        assertClose(lnF(Tape<Float>().constant(x.converted())).value.converted(to: Double.self), expected, tolerance: 1e-6)
    }

    func testBatchNormReferenceValuesAndRunningStatistics() throws {
        let bn = try BatchNorm<Double>(4)
        bn.weight.value = gamma; bn.bias.value = beta
        XCTAssertEqual(bn.runningMean, Tensor(zeros: [4]))
        XCTAssertEqual(bn.runningVariance, Tensor(shape: [4], repeating: 1))
        let train = bn(Tape<Double>().constant(x)).value
        assertClose(train, Tensor([
            [0.9805738871259697, 2.845606883952715, 0.3677722845163751, 0.3741248583558472],
            [-1.3728034419763575, -1.8611477742519393, -0.11888967364051783, -0.960122592049397],
            [0.3922295548503879, -0.6844591097007757, -0.8488826108758573, 1.4859977336935506]]), tolerance: 1e-12)
        // momentum 0.1; running_var takes the unbiased batch variance.
        assertClose(bn.runningMean, Tensor([0.016666666666666666, 0.08333333333333334, 0.18333333333333335, 0.41666666666666674]), tolerance: 1e-14)
        assertClose(bn.runningVariance, Tensor([1.0083333333333333, 1.0083333333333333, 1.0583333333333333, 1.6583333333333332]), tolerance: 1e-14)
        // Evaluation mode normalizes with the running statistics and leaves them alone.
        let eval = bn(Tape<Double>(recording: false, training: false).constant(x)).value
        assertClose(eval, Tensor([
            [0.9792566863999654, 3.917441319864272, 1.1689644469968155, -2.4825949007299313],
            [-1.0124518283118287, -0.06597570955931618, 0.6829415664062302, -4.812209236224758],
            [0.4813295577220169, 0.9298785477965809, -0.046092754479647946, -0.5412496211509095]]), tolerance: 1e-12)
        assertClose(bn.runningMean, Tensor([0.016666666666666666, 0.08333333333333334, 0.18333333333333335, 0.41666666666666674]), tolerance: 1e-14)
        // Training-mode output in [batch, features]: zero mean and unit (biased) variance per feature before γ, β.
        let plain = try BatchNorm<Double>(4)
        let y = plain(Tape<Double>().constant(randomTensor([64, 4], seed: 131, low: 3, high: 9))).value
        for j in 0..<4 {
            let col = (0..<64).map { y[$0, j] }
            let mu = col.reduce(0, +) / 64
            XCTAssertEqual(mu, 0, accuracy: 1e-12)
            XCTAssertEqual(col.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / 64, 1, accuracy: 1e-4)   // ε = 1e-5
        }
    }

    func testBatchNormBuffersRoundTrip() throws {
        var rng = SeededRandom(seed: 141)
        let model = try Sequential<Double>.residualMLP(inputs: 3, width: 4, blocks: 2, outputs: 2, activation: .tanh,
                                                       initializer: .heNormalReLU, normalization: .batch, rng: &rng)
        // Names follow the parameters' paths; buffers are not parameters.
        let names = model.buffers.map(\.name)
        XCTAssertEqual(names.first, "layers.1.branch.layers.0.running_mean")
        XCTAssertEqual(names.count, 2 * (2 * 2 + 1))   // two norms per block and one before the head
        XCTAssertTrue(Set(names).isDisjoint(with: model.namedParameters.map(\.name)))
        XCTAssertTrue(model.namedParameters.contains { $0.name == "layers.1.branch.layers.0.weight" })
        _ = model(Tape<Double>().constant(randomTensor([8, 3], seed: 142)))
        let saved = Dictionary(uniqueKeysWithValues: model.buffers.map { ($0.name, $0.tensor) })
        XCTAssertNotEqual(saved["layers.1.branch.layers.0.running_mean"], Tensor(zeros: [4]))

        // Through a safetensors checkpoint into a fresh model of the same architecture.
        let decoded: [String: Tensor<Double>] = try SafeTensors.decode(SafeTensors.encode(saved)).tensors
        var rng2 = SeededRandom(seed: 999)
        let fresh = try Sequential<Double>.residualMLP(inputs: 3, width: 4, blocks: 2, outputs: 2, activation: .tanh,
                                                       initializer: .heNormalReLU, normalization: .batch, rng: &rng2)
        try fresh.loadBuffers(from: decoded)
        for ((n1, t1), (n2, t2)) in zip(model.buffers, fresh.buffers) { XCTAssertEqual(n1, n2); XCTAssertEqual(t1, t2) }

        // Single buffers, and the errors for a wrong name, shape or a missing buffer.
        let bn = try BatchNorm<Double>(4)
        try bn.loadBuffer(name: "running_var", Tensor([1, 2, 3, 4]))
        XCTAssertEqual(bn.runningVariance, Tensor([1, 2, 3, 4]))
        XCTAssertThrowsError(try bn.loadBuffer(name: "running_var", Tensor([1, 2])))
        XCTAssertThrowsError(try bn.loadBuffer(name: "num_batches", Tensor([1, 2, 3, 4])))
        XCTAssertThrowsError(try fresh.loadBuffer(name: "layers.0.running_mean", Tensor(zeros: [4])))
        XCTAssertThrowsError(try fresh.loadBuffers(from: [:]))
        XCTAssertThrowsError(try BatchNorm<Double>(0))
        XCTAssertThrowsError(try BatchNorm<Double>(4, momentum: 1.5))
        XCTAssertThrowsError(try LayerNorm<Double>(4, epsilon: 0))
        XCTAssertTrue(try LayerNorm<Double>(4).buffers.isEmpty)
    }

    // MARK: Residual

    func testResidualGradients() throws {
        var rng = SeededRandom(seed: 151)
        let x = randomTensor([4, 3], seed: 152)
        for scale in [ResidualAlpha.fixed(0.7), .trainable(initial: 0.3)] {
            let block = try Residual<Double>(Sequential([Dense<Double>(3, 3, rng: &rng), Activation<Double>(.tanh)]), scale: scale)
            assertGradients([x]) { block($0[0]) }
            assertParameterGradients(block, input: x)
        }
        // The op alone, α on the tape.
        let w = randomTensor([3, 3], seed: 153), b = randomTensor([3], seed: 154)
        assertGradients([x, w, b, Tensor(0.4)]) { $0[0].addingScaled($0[0].linear(weight: $0[1], bias: $0[2]).tanh(), by: $0[3]) }
        assertGradients([x, w, b, Tensor(0)]) { $0[0].addingScaled($0[0].linear(weight: $0[1], bias: $0[2]).tanh(), by: $0[3]) }
        XCTAssertEqual(try Residual<Double>(Dense<Double>(3, 3, rng: &rng), scale: .skipInit).namedParameters.map(\.name),
                       ["branch.weight", "branch.bias", "alpha"])
        XCTAssertThrowsError(try Residual<Double>(Dense<Double>(3, 3, rng: &rng), scale: .fixed(.nan)))
        XCTAssertThrowsError(try Residual<Double>(Dense<Double>(3, 2, rng: &rng)).outputShape(for: [4, 3]))
    }

    func testSkipInitBlockIsTheIdentity() throws {
        var rng = SeededRandom(seed: 161)
        let branch = Sequential<Double>([Activation(.relu), Dense(5, 5, initializer: .heNormalReLU, rng: &rng),
                                         Activation(.relu), Dense(5, 5, initializer: .heNormalReLU, rng: &rng)])
        let block = try Residual<Double>(branch, scale: .skipInit)
        let tape = Tape<Double>()
        let xv = tape.variable(randomTensor([4, 5], seed: 162))
        let y = block(xv)
        XCTAssertEqual(y.value, xv.value)
        let seed = randomTensor([4, 5], seed: 163)
        let grads = tape.backward(from: y, seed: seed)
        XCTAssertEqual(grads[xv], seed)
        // α still learns: dα = Σ dy ⊙ F(x) ≠ 0, while the branch gets no gradient yet.
        XCTAssertNotEqual(block.alpha!.grad!.item, 0)
        XCTAssertEqual(block.parameter(named: "branch.layers.1.weight")!.grad!.maxAbs, 0)
    }

    func testResidualMLPStructure() throws {
        var rng = SeededRandom(seed: 171)
        let skip = try Sequential<Double>.residualMLP(inputs: 3, width: 4, blocks: 2, outputs: 2, activation: .relu,
                                                      initializer: .heNormalReLU, branchScale: .skipInit, rng: &rng)
        XCTAssertEqual(skip.namedParameters.map(\.name), [
            "layers.0.weight", "layers.0.bias",
            "layers.1.branch.layers.1.weight", "layers.1.branch.layers.1.bias",
            "layers.1.branch.layers.3.weight", "layers.1.branch.layers.3.bias", "layers.1.alpha",
            "layers.2.branch.layers.1.weight", "layers.2.branch.layers.1.bias",
            "layers.2.branch.layers.3.weight", "layers.2.branch.layers.3.bias", "layers.2.alpha",
            "layers.4.weight", "layers.4.bias"])
        XCTAssertEqual(try skip.outputShape(for: [7, 3]), [7, 2])
        XCTAssertThrowsError(try Sequential<Double>.residualMLP(inputs: 3, width: 0, blocks: 2, outputs: 2, activation: .relu,
                                                               initializer: .heNormalReLU, rng: &rng))
        XCTAssertEqual(NormalizationKind(name: "layer"), .layer)
        XCTAssertNil(NormalizationKind(name: "group"))
        XCTAssertEqual(BranchScaleSetting(name: "inv-sqrt-depth")?.scale(blocks: 16), .fixed(0.25))
        XCTAssertEqual(BranchScaleSetting(name: "fixup")?.scale(blocks: 16), .fixup)

        // Fixup: same draws as the plain network, then the first branch layer × L^(−1/2), the
        // last branch layer and the head zeroed.
        let blocks = 4
        var r1 = SeededRandom(seed: 172), r2 = SeededRandom(seed: 172)
        let plain = try Sequential<Float>.residualMLP(inputs: 3, width: 8, blocks: blocks, outputs: 2, activation: .relu,
                                                      initializer: .heNormalReLU, rng: &r1)
        let fixup = try Sequential<Float>.residualMLP(inputs: 3, width: 8, blocks: blocks, outputs: 2, activation: .relu,
                                                      initializer: .heNormalReLU, branchScale: .fixup, rng: &r2)
        for ((name, p), (_, q)) in zip(plain.namedParameters, fixup.namedParameters) {
            if name.hasSuffix("branch.layers.1.weight") {
                XCTAssertEqual(q.value, p.value * Float(0.5), name)
            } else if name.contains("branch.layers.3.") || name.hasPrefix("layers.\(blocks + 2).") {
                XCTAssertEqual(q.value.maxAbs, 0, name)
            } else {
                XCTAssertEqual(q.value, p.value, name)
            }
        }
    }

    func testComposedResidualMLPGradients() throws {
        for (norm, scale) in [(NormalizationKind.batch, BranchScale.one), (.layer, .skipInit), (.none, .fixed(0.5))] {
            var rng = SeededRandom(seed: 181)
            let model = try Sequential<Double>.residualMLP(inputs: 3, width: 4, blocks: 2, outputs: 2, activation: .tanh,
                                                           initializer: .glorot, normalization: norm, branchScale: scale, rng: &rng)
            for (name, p) in model.namedParameters where name.hasSuffix("alpha") { p.value = Tensor(0.6) }
            let x = randomTensor([5, 3], seed: 182)
            assertGradients([x]) { model($0[0]) }
            assertParameterGradients(model, input: x)
        }
    }

    /// log₂ Var(x_L)/Var(x₀) of the residual stream at initialization, x₀ the stem's output and
    /// x_L the last block's, for a seeded batch of 256 N(0, 1) inputs at width 128.
    func streamGrowth(blocks: Int, scale: BranchScale) throws -> Double {
        var rng = SeededRandom(seed: 191)
        let model = try Sequential<Float>.residualMLP(inputs: 32, width: 128, blocks: blocks, outputs: 10, activation: .relu,
                                                      initializer: .heNormalReLU, branchScale: scale, rng: &rng)
        var variances: [Int: Double] = [:]
        let watch = RecordingObserver<Float>()
        watch.onLayerOutput = { i, h, container in
            guard container === model else { return }
            let s = h.value.summary()
            variances[i] = s.std * s.std
        }
        var data = SeededRandom(seed: 192)
        let tape = Tape<Float>(recording: false, training: false)
        tape.observers = [watch]
        _ = model(tape.constant(Tensor.normal([256, 32], rng: &data)))
        return Foundation.log2(variances[blocks]! / variances[0]!)
    }

    func testFixupKeepsVarianceFlatWhilePlainResidualGrowsWithDepth() throws {
        // He-initialized residual blocks (α = 1) double the stream's variance per block.
        let he10 = try streamGrowth(blocks: 10, scale: .one), he50 = try streamGrowth(blocks: 50, scale: .one)
        XCTAssertEqual(he10, 10, accuracy: 1.5)
        XCTAssertEqual(he50, 50, accuracy: 7.5)
        // Fixup (and SkipInit) start every branch at zero: the stream keeps its variance at any depth.
        let fix10 = try streamGrowth(blocks: 10, scale: .fixup), fix50 = try streamGrowth(blocks: 50, scale: .fixup)
        XCTAssertEqual(Foundation.pow(2, fix50 - fix10), 1, accuracy: 0.05)
        XCTAssertEqual(fix50, 0, accuracy: 0.05)
        XCTAssertEqual(try streamGrowth(blocks: 50, scale: .skipInit), 0, accuracy: 0.05)
        // α = 1/√L bounds it by (1 + 1/L)^L ≤ e, i.e. log₂ ≤ 1.44, at any depth.
        for l in [10, 50] { XCTAssertLessThan(try streamGrowth(blocks: l, scale: .fixed(1 / Double(l).squareRoot())), 2) }
    }

    func testResidualMLPTrainsWithNormalization() throws {
        // A teacher task: y = 1 when x·w > 0. Loss must fall within a few Adam steps.
        for norm in [NormalizationKind.batch, .layer] {
            var rng = SeededRandom(seed: 201)
            let model = try Sequential<Float>.residualMLP(inputs: 8, width: 32, blocks: 4, outputs: 2, activation: .relu,
                                                          initializer: .heNormalReLU, normalization: norm, branchScale: .skipInit, rng: &rng)
            let x = Tensor<Float>.normal([64, 8], rng: &rng), w = Tensor<Float>.normal([8], rng: &rng)
            let labels = (0..<64).map { i in (0..<8).map { x[i, $0] * w[$0] }.reduce(0, +) > 0 ? 1 : 0 }
            let opt = Optimizer<Float>(Adam(), schedule: .constant(0.01), parameters: model.namedParameters)
            var losses: [Float] = []
            for _ in 0..<60 {
                model.zeroGrad()
                let tape = Tape<Float>()
                let loss = model(tape.constant(x)).softmaxCrossEntropy(labels: labels)
                tape.backward(from: loss)
                opt.update()
                losses.append(loss.value.item)
            }
            XCTAssertLessThan(losses.last!, 0.5 * losses.first!, "\(norm)")
        }
    }

    // MARK: Adaptive gradient clipping

    func testAdaptiveClipHandMadeCase() {
        // λ = 0.2. Row 0: ‖G‖/‖W‖ = 0.5/5 = 0.1 → kept. Row 1: 5/10 = 0.5 → G·(0.2·10/5) = G·0.4.
        let w = Parameter(Tensor<Double>([[3, 4], [6, 8]]))
        w.grad = Tensor([[0.3, 0.4], [3, 4]])
        // Bias units: |b₀| = 0 → ε = 1e-3, ratio 0.01/1e-3 = 10 → 0.2·1e-3 = 2e-4; |b₁| = 1, ratio 0.1 → kept.
        let b = Parameter(Tensor<Double>([0, 1]))
        b.grad = Tensor([0.01, -0.1])
        let noGrad = Parameter(Tensor<Double>([1, 2]))
        XCTAssertEqual(adaptiveClip([w, b, noGrad], lambda: 0.2), 2)
        assertClose(w.grad!, Tensor([[0.3, 0.4], [1.2, 1.6]]), tolerance: 1e-15)
        assertClose(b.grad!, Tensor([2e-4, -0.1]), tolerance: 1e-15)
        XCTAssertNil(noGrad.grad)
        // Non-finite gradients are left for the non-finite guard.
        b.grad = Tensor([.nan, .infinity])
        XCTAssertEqual(adaptiveClip([b], lambda: 0.2), 0)
        XCTAssertTrue(b.grad!.scalars[0].isNaN)
    }

    func testAdaptiveClipNeverIncreasesAUnitNorm() {
        var rng = SeededRandom(seed: 211)
        for lambda in [0.001, 0.01, 0.1, 1.0] {
            let w = Parameter(Tensor<Float>.normal([6, 5], rng: &rng)), b = Parameter(Tensor<Float>.normal([6], std: 0.1, rng: &rng))
            let gw = Tensor<Float>.normal([6, 5], std: 0.1, rng: &rng), gb = Tensor<Float>.normal([6], std: 0.1, rng: &rng)
            w.grad = gw; b.grad = gb
            let clipped = adaptiveClip([w, b], lambda: lambda)
            var counted = 0
            func check(_ before: [Float], _ after: [Float], _ weights: [Float]) {
                func norm(_ v: [Float]) -> Double { v.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot() }
                let limit = lambda * max(norm(weights), 1e-3)
                XCTAssertLessThanOrEqual(norm(after), norm(before) * (1 + 1e-6))
                if norm(before) > limit {
                    counted += 1
                    XCTAssertEqual(norm(after), limit, accuracy: 1e-5 * limit)   // clipped to exactly λ·‖W_i‖
                } else {
                    XCTAssertEqual(after, before)
                }
            }
            for i in 0..<6 {
                check(Array(gw.scalars[(i * 5)..<(i * 5 + 5)]), Array(w.grad!.scalars[(i * 5)..<(i * 5 + 5)]),
                      Array(w.value.scalars[(i * 5)..<(i * 5 + 5)]))
                check([gb.scalars[i]], [b.grad!.scalars[i]], [b.value.scalars[i]])
            }
            XCTAssertEqual(clipped, counted)
        }
    }

    // MARK: Non-finite guard

    func testNonFiniteGuardSkipsBacksOffAndRecovers() throws {
        var guardian = try NonFiniteGuard(backoff: 0.5, recoverAfter: 3)
        XCTAssertEqual(guardian.check(gradNorm: 1, loss: 2), .apply)
        XCTAssertEqual(guardian.check(gradNorm: .nan, loss: 2), .skip(newLRScale: 0.5))
        XCTAssertEqual(guardian.check(gradNorm: 1, loss: .infinity), .skip(newLRScale: 0.25))
        XCTAssertEqual(guardian.check(gradNorm: -.infinity, loss: .nan), .skip(newLRScale: 0.125))
        XCTAssertEqual(guardian.consecutiveSkips, 3)
        XCTAssertEqual(guardian.check(gradNorm: 1, loss: 2), .apply)
        XCTAssertEqual(guardian.consecutiveSkips, 0)
        XCTAssertEqual(guardian.check(gradNorm: 1, loss: 2), .apply)
        XCTAssertEqual(guardian.lrScale, 0.125)
        XCTAssertEqual(guardian.check(gradNorm: 1, loss: 2), .apply)   // third good step: ×2
        XCTAssertEqual(guardian.lrScale, 0.25)
        // A skip resets the count of good steps.
        _ = guardian.check(gradNorm: 1, loss: 2); _ = guardian.check(gradNorm: 1, loss: 2)
        XCTAssertEqual(guardian.check(gradNorm: .nan, loss: 2), .skip(newLRScale: 0.125))
        for _ in 0..<2 { _ = guardian.check(gradNorm: 1, loss: 2) }
        XCTAssertEqual(guardian.lrScale, 0.125)
        // Recovery continues up to 1 and stops there.
        var scales: [Double] = []
        for _ in 0..<4 {
            for _ in 0..<3 { XCTAssertEqual(guardian.check(gradNorm: 1, loss: 2), .apply) }
            scales.append(guardian.lrScale)
        }
        XCTAssertEqual(scales, [0.25, 0.5, 1, 1])   // the first group completes the interrupted count
        for _ in 0..<10 { _ = guardian.check(gradNorm: 1, loss: 2) }
        XCTAssertEqual(guardian.lrScale, 1)
        XCTAssertEqual(guardian.totalSkips, 4)

        let defaults = try NonFiniteGuard()
        XCTAssertEqual(defaults.backoff, 0.5)
        XCTAssertEqual(defaults.recoverAfter, 100)
        XCTAssertThrowsError(try NonFiniteGuard(backoff: 1))
        XCTAssertThrowsError(try NonFiniteGuard(recoverAfter: 0))
    }

    // MARK: Helpers

    /// Central differences on every parameter of `layer` for L = Σ layer(x) ⊙ R, on a training tape.
    func assertParameterGradients(_ layer: any Layer<Double>, input: Tensor<Double>, file: StaticString = #filePath, line: UInt = #line) {
        var r = SeededRandom(seed: 99)
        let weights = Tensor<Double>.normal(try! layer.outputShape(for: input.shape), rng: &r)
        func loss(_ tape: Tape<Double>) -> Var<Double> { (layer(tape.constant(input)) * tape.constant(weights)).sum() }
        layer.zeroGrad()
        let tape = Tape<Double>()
        tape.backward(from: loss(tape))
        for (name, p) in layer.namedParameters {
            let g = p.grad ?? Tensor(zeros: p.value.shape)
            for i in 0..<p.value.count {
                let orig = p.value.scalars[i]
                func eval(_ v: Double) -> Double {
                    p.value.scalars[i] = v
                    return loss(Tape<Double>(recording: false)).value.item
                }
                let numeric = (eval(orig + 1e-6) - eval(orig - 1e-6)) / 2e-6
                p.value.scalars[i] = orig
                XCTAssertEqual(g.scalars[i], numeric, accuracy: 1e-6 * max(1, abs(numeric)), "\(name)[\(i)]", file: file, line: line)
            }
        }
    }
}
