"""fp16 autocast with a GradScaler on one device, against fp32: prints one JSON object.

    python scripts/fp16_check.py [DEVICE]

On one batch of the seed's VAE, the gradients of a scaled fp16 step (`train_step` with a `GradScaler` whose scale
starts at 2**16), of an fp16 step with no scaler and of an fp32 step, each from the same weights; for each the
largest relative error (of a layer's gradient, by norm) against fp32's. A scaler that never unscaled would leave
its gradients 65,536 times too large. Then one step whose loss is scaled past fp16's range: the scaler must skip
it (weights unchanged) and halve its scale. The GPU page's fp16 row reads what this printed on a GPU.
"""
import json, sys, torch
from celeba_vae.model import VAE
from celeba_vae.train import train_step

def grads(device, dtype, scaler=None, seed=0):
    "The seed VAE's weights and gradients after one step of `lr=0` Adam on a fixed batch."
    torch.manual_seed(seed)
    model, xb = VAE().to(device), (torch.rand(32, 3, 64, 64) * 2 - 1).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=0.0)
    train_step(model, opt, xb, 0.00025, device, dtype, scaler=scaler)
    return {n: (p.detach().clone(), p.grad.clone()) for n, p in model.named_parameters()}

def worst_error(g, ref) -> float:
    "The largest relative error of a layer's gradient against `ref`'s; convolutions' biases before batch norm have none."
    return max(((g[n][1] - ref[n][1]).norm() / ref[n][1].norm()).item() for n in ref if ref[n][1].norm() > 1e-5)

if __name__ == '__main__':
    device = torch.device(sys.argv[1] if len(sys.argv) > 1 else 'cuda')
    fp32, scaler = grads(device, None), torch.amp.GradScaler(device.type, init_scale=2.**16)
    scaled, unscaled = grads(device, torch.float16, scaler), grads(device, torch.float16)
    overflow = torch.amp.GradScaler(device.type, init_scale=2.**100) # the scaled loss is inf in fp16: the step must be skipped
    skipped = grads(device, torch.float16, overflow)
    print(json.dumps(dict(device=torch.cuda.get_device_name() if device.type == 'cuda' else 'cpu', torch=torch.__version__,
        scale_after_step=scaler.get_scale(), worst_error_scaled=worst_error(scaled, fp32),
        worst_error_no_scaler=worst_error(unscaled, fp32),
        overflow_scale_after=overflow.get_scale(), overflow_weights_unchanged=all(
            torch.equal(skipped[n][0], fp32[n][0]) for n in fp32))))
