"""The README's example: one derivative, then a straight line fitted by gradient descent."""

import chainrule


def main() -> None:
    x = chainrule.tensor([1.0], requires_grad=True)
    y = x**2
    y.backward()
    print("d(x^2)/dx at x = 1:", x.grad)

    xs = chainrule.linspace(-1, 1, 50)
    ys = 3 * xs + 2
    w = chainrule.zeros(1, requires_grad=True)
    b = chainrule.zeros(1, requires_grad=True)
    for step in range(200):
        loss = ((w * xs + b - ys) ** 2).mean()
        loss.backward()
        with chainrule.no_grad():
            w -= 0.1 * w.grad
            b -= 0.1 * b.grad
        w.grad = b.grad = None
        if step % 50 == 0:
            print(f"step {step:3d}  loss {loss.item():.5f}")
    print(f"fitted w = {w.item():.4f}, b = {b.item():.4f} (true 3, 2)")


if __name__ == "__main__":
    main()
