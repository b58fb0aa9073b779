"""Reference values for GradLab's recurrent cells from an independent implementation (PyTorch).

For each cell (nn.RNN tanh/relu, nn.LSTM, nn.GRU; one layer, batch_first, float64) it records
the input, the parameters, the output sequence, the final state, and the gradient of
L = sum(output * R) with respect to the input and every parameter. Regenerate with
    python3 scripts/recurrent_fixtures.py > Tests/GradLabTests/Fixtures/recurrent.json
"""
import json
import torch

B, T, I, H = 2, 6, 3, 4


def case(name, module):
    torch.manual_seed(1234)
    with torch.no_grad():
        for p in module.parameters():
            p.uniform_(-0.8, 0.8)
    x = torch.randn(B, T, I, dtype=torch.float64, requires_grad=True)
    r = torch.randn(B, T, H, dtype=torch.float64)
    out, state = module(x)
    (out * r).sum().backward()
    h_n, c_n = (state if isinstance(state, tuple) else (state, None))
    flat = lambda t: t.detach().reshape(-1).tolist()
    rec = {
        "cell": name, "B": B, "T": T, "I": I, "H": H,
        "x": flat(x), "r": flat(r), "output": flat(out), "h_n": flat(h_n[0]),
        "dx": flat(x.grad),
    }
    if c_n is not None:
        rec["c_n"] = flat(c_n[0])
    for key, p in [("weight_ih", module.weight_ih_l0), ("weight_hh", module.weight_hh_l0),
                   ("bias_ih", module.bias_ih_l0), ("bias_hh", module.bias_hh_l0)]:
        rec[key] = flat(p)
        rec["d" + key] = flat(p.grad)
    return rec


cases = [
    case("rnn-tanh", torch.nn.RNN(I, H, nonlinearity="tanh", batch_first=True).double()),
    case("rnn-relu", torch.nn.RNN(I, H, nonlinearity="relu", batch_first=True).double()),
    case("lstm", torch.nn.LSTM(I, H, batch_first=True).double()),
    case("gru", torch.nn.GRU(I, H, batch_first=True).double()),
]
print(json.dumps({"generator": f"torch {torch.__version__}", "cases": cases}))
