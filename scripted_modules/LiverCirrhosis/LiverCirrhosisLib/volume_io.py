"""Volume nodes <-> SimpleITK images, with the exact grid (Slicer stores RAS, ITK and the engine LPS)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import SimpleITK as sitk

_RAS_TO_LPS = np.diag([-1.0, -1.0, 1.0])


def load_volume(context, path, name: str | None = None):
    """Read a volume file into the scene (Slicer's own reader); a clear error names the file if it fails."""
    from CirrhosisStaging.errors import InputError

    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    node = context.volumes_logic.AddArchetypeVolume(str(path), name or path.name.split(".")[0])
    if node is None or node.GetImageData() is None:
        raise InputError(path, "Slicer could not read this file as a volume")
    return node


def image_from_volume_node(node) -> sitk.Image:
    """The node's voxels and geometry as a SimpleITK image in LPS (copies the voxels)."""
    from vtkmodules.vtkCommonMath import vtkMatrix4x4

    image = sitk.GetImageFromArray(voxel_array(node))
    matrix = vtkMatrix4x4()
    node.GetIJKToRASDirectionMatrix(matrix)
    direction_ras = np.array([[matrix.GetElement(r, c) for c in range(3)] for r in range(3)])
    image.SetSpacing(node.GetSpacing())
    image.SetOrigin((_RAS_TO_LPS @ np.array(node.GetOrigin())).tolist())
    image.SetDirection((_RAS_TO_LPS @ direction_ras).flatten().tolist())
    return image


def voxel_array(node) -> np.ndarray:
    """A copy of a volume node's voxels as a (z, y, x) array."""
    from vtkmodules.util.numpy_support import vtk_to_numpy

    image_data = node.GetImageData()
    dims = image_data.GetDimensions()
    return vtk_to_numpy(image_data.GetPointData().GetScalars()).reshape(dims[2], dims[1], dims[0]).copy()


def set_node_geometry(node, image: sitk.Image) -> None:
    from vtkmodules.vtkCommonMath import vtkMatrix4x4

    direction_ras = _RAS_TO_LPS @ np.array(image.GetDirection()).reshape(3, 3)
    matrix = vtkMatrix4x4()
    for r in range(3):
        for c in range(3):
            matrix.SetElement(r, c, direction_ras[r, c])
    node.SetIJKToRASDirectionMatrix(matrix)
    node.SetSpacing(image.GetSpacing())
    node.SetOrigin((_RAS_TO_LPS @ np.array(image.GetOrigin())).tolist())


def add_volume_from_image(scene, image: sitk.Image, name: str, node_class: str = "vtkMRMLScalarVolumeNode"):
    """A new volume node (with a display node) holding `image`, on exactly its grid."""
    from vtkmodules.util.numpy_support import numpy_to_vtk
    from vtkmodules.vtkCommonDataModel import vtkImageData

    array = sitk.GetArrayFromImage(image)
    image_data = vtkImageData()
    image_data.SetDimensions(array.shape[2], array.shape[1], array.shape[0])
    scalars = numpy_to_vtk(np.ascontiguousarray(array).ravel(), deep=True)
    image_data.GetPointData().SetScalars(scalars)
    node = scene.AddNewNodeByClass(node_class, name)
    node.SetAndObserveImageData(image_data)
    set_node_geometry(node, image)
    node.CreateDefaultDisplayNodes()
    return node


def write_volume_node(node, path) -> Path:
    """The node's voxels on its exact grid as a file the engine reads (NIfTI/NRRD by extension)."""
    from CirrhosisStaging.io import write_image

    return write_image(image_from_volume_node(node), path)
