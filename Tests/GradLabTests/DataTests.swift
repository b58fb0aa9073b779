import XCTest
import GradLab

final class DataTests: XCTestCase {
    func testGeneratorsAreSeededAndShaped() {
        let a: Dataset<Float> = SyntheticData.twoSpirals(samples: 200, seed: 1)
        let b: Dataset<Float> = SyntheticData.twoSpirals(samples: 200, seed: 1)
        XCTAssertEqual(a.features, b.features)
        XCTAssertEqual(a.features.shape, [200, 2])
        let blobs: Dataset<Float> = SyntheticData.blobs(samples: 90, classes: 3, dimensions: 5, seed: 2)
        XCTAssertEqual(blobs.outputSize, 3); XCTAssertEqual(blobs.inputSize, 5)
        let xor: Dataset<Double> = SyntheticData.parity(samples: 64, bits: 2, seed: 3)
        if case let .classes(labels, _) = xor.targets {
            for i in 0..<64 { XCTAssertEqual(labels[i], (xor.features[i, 0] > 0) != (xor.features[i, 1] > 0) ? 1 : 0) }
        } else { XCTFail() }
        let circles: Dataset<Double> = SyntheticData.circles(samples: 100, noise: 0, factor: 0.5, seed: 4)
        for i in 0..<100 {
            let r = (circles.features[i, 0] * circles.features[i, 0] + circles.features[i, 1] * circles.features[i, 1]).squareRoot()
            XCTAssertEqual(r, i % 2 == 1 ? 0.5 : 1, accuracy: 1e-9)
        }
        let teacher: Dataset<Float> = SyntheticData.teacherStudent(samples: 50, inputs: 4, outputs: 2, seed: 5)
        XCTAssertEqual(teacher.outputSize, 2); XCTAssertFalse(teacher.isClassification)
    }

    func testBatchesCoverEveryRowOncePerEpoch() {
        let d: Dataset<Double> = SyntheticData.blobs(samples: 103, seed: 1)
        let batches = d.batches(size: 10, epoch: 3, seed: 9)
        XCTAssertEqual(batches.count, 11); XCTAssertEqual(batches.last!.count, 3)
        let rows = Set(batches.flatMap { b in (0..<b.count).map { "\(b.features[$0, 0]),\(b.features[$0, 1])" } })
        XCTAssertEqual(rows.count, 103)
        XCTAssertEqual(d.batches(size: 10, epoch: 3, seed: 9)[0].features, batches[0].features)
        XCTAssertNotEqual(d.batches(size: 10, epoch: 4, seed: 9)[0].features, batches[0].features)
    }

    func testDigitsShipWithFixedSplit() throws {
        let (train, test): (Dataset<Float>, Dataset<Float>) = try Digits.load()
        XCTAssertEqual(train.count, 1438); XCTAssertEqual(test.count, 359); XCTAssertEqual(train.inputSize, 64)
        XCTAssertEqual(train.outputSize, 10)
        XCTAssertTrue(train.features.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    func testCSVReaderAndItsErrors() throws {
        let good = tempPath("good.csv")
        try "x1,x2,label\n0.5,1,0\n-2,3e-1,2\n".write(toFile: good, atomically: true, encoding: .utf8)
        let d: Dataset<Double> = try DataReader.csv(good)
        XCTAssertEqual(d.features, Tensor([[0.5, 1], [-2, 0.3]]))
        if case let .classes(l, k) = d.targets { XCTAssertEqual(l, [0, 2]); XCTAssertEqual(k, 3) } else { XCTFail() }
        func error(_ body: String) -> String {
            let p = tempPath("bad.csv")
            try! body.write(toFile: p, atomically: true, encoding: .utf8)
            do { let _: Dataset<Float> = try DataReader.csv(p); return "no error" } catch { return "\(error)" }
        }
        XCTAssertTrue(error("1,2,0\n3,nan,1\n").contains("row 2"), error("1,2,0\n3,nan,1\n"))
        XCTAssertTrue(error("1,2,0\n3,inf,1\n").contains("non-finite"))
        XCTAssertTrue(error("1,2,0\n3,1\n").contains("row 2 has 2 columns, expected 3"))
        XCTAssertTrue(error("1,2,0\n3,x,1\n").contains("'x' is not a number"))
        XCTAssertTrue(error("1,2,0.5\n").contains("label"))
        XCTAssertTrue(error("").contains("no data rows"))
        XCTAssertThrowsError(try { let _: Dataset<Float> = try DataReader.csv(tempPath("missing.csv")) }())
    }

    func testIDXRoundTripAndErrors() throws {
        let images = tempPath("img.idx"), labels = tempPath("lab.idx")
        try DataReader.writeIDX(images, shape: [3, 2, 2], bytes: [0, 255, 0, 255, 10, 20, 30, 40, 1, 2, 3, 4])
        try DataReader.writeIDX(labels, shape: [3], bytes: [7, 1, 0])
        let d: Dataset<Float> = try DataReader.idxPair(images: images, labels: labels)
        XCTAssertEqual(d.features.shape, [3, 4]); XCTAssertEqual(d.features[0, 1], 1); XCTAssertEqual(d.outputSize, 8)
        let raw: Tensor<Double> = try DataReader.idx(images)
        XCTAssertEqual(raw.shape, [3, 2, 2]); XCTAssertEqual(raw[1, 1, 1], 40)
        try DataReader.writeIDX(labels, shape: [2], bytes: [1, 0])
        XCTAssertThrowsError(try { let _: Dataset<Float> = try DataReader.idxPair(images: images, labels: labels) }()) {
            XCTAssertTrue("\($0)".contains("3 images but"), "\($0)")
        }
        let truncated = tempPath("trunc.idx")
        try Data([0, 0, 8, 1, 0, 0, 0, 9, 1, 2]).write(to: URL(fileURLWithPath: truncated))
        XCTAssertThrowsError(try { let _: Tensor<Float> = try DataReader.idx(truncated) }()) { XCTAssertTrue("\($0)".contains("header says")) }
        let notIDX = tempPath("not.idx")
        try Data("hello".utf8).write(to: URL(fileURLWithPath: notIDX))
        XCTAssertThrowsError(try { let _: Tensor<Float> = try DataReader.idx(notIDX) }()) { XCTAssertTrue("\($0)".contains("magic")) }
    }

    func testDatasetRefusesNonFiniteAndBadShapes() {
        XCTAssertThrowsError(try Dataset<Float>(name: "t", features: Tensor([[1, .nan]]), targets: .classes([0], classes: 1))) {
            XCTAssertTrue("\($0)".contains("row 1"))
        }
        XCTAssertThrowsError(try Dataset<Float>(name: "t", features: Tensor([[1, 2]]), targets: .classes([0, 1], classes: 2)))
        XCTAssertThrowsError(try Dataset<Float>(name: "t", features: Tensor([[1, 2]]), targets: .classes([5], classes: 2)))
    }
}
import Foundation
