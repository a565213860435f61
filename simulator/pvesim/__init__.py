"""pvesim: a Proxmox VE API simulator."""
